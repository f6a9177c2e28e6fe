package io.tally;

/**
 * A state change that the transition table forbids, such as finishing a cancelled job. The job is unchanged.
 *
 * @see JobState#canTransition(JobState, JobState)
 */
public class IllegalTransitionException extends TallyException {
    private static final long serialVersionUID = 1L;
    private final String jobId;
    private final JobState from;
    private final JobState to;

    /**
     * @param jobId the job
     * @param from its stored state
     * @param to the state that was asked for
     */
    public IllegalTransitionException(String jobId, JobState from, JobState to) {
        super("job " + jobId + " cannot go from " + from + " to " + to);
        this.jobId = jobId;
        this.from = from;
        this.to = to;
    }

    /** @return the job */
    public String jobId() {
        return jobId;
    }

    /** @return the job's stored state when the change was refused */
    public JobState from() {
        return from;
    }

    /** @return the state that was asked for */
    public JobState to() {
        return to;
    }
}
