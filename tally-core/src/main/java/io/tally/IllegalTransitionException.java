package io.tally;

/**
 * A state change that the transition table forbids, such as finishing a cancelled job, or a terminal transition
 * repeated with another outcome (a job that SUCCEEDED finished again with a different result). The job is unchanged.
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
        this(jobId, from, to, null);
    }

    /**
     * @param jobId the job
     * @param from its stored state
     * @param to the state that was asked for
     * @param why what made it illegal beyond the two states (e.g. "with a different result"), or null
     */
    public IllegalTransitionException(String jobId, JobState from, JobState to, String why) {
        super(
                from == to
                        ? "job " + jobId + " is already " + from + (why == null ? "" : " " + why)
                        : "job " + jobId + " cannot go from " + from + " to " + to + (why == null ? "" : " " + why));
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
