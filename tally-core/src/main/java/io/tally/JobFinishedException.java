package io.tally;

/**
 * Progress, a part or a heartbeat was reported for a job that already reached a terminal state. Late progress is
 * rejected, never silently applied; nothing was written.
 */
public class JobFinishedException extends TallyException {
    private static final long serialVersionUID = 1L;
    private final String jobId;
    private final JobState state;

    /**
     * @param jobId the job
     * @param state its terminal state
     */
    public JobFinishedException(String jobId, JobState state) {
        super("job " + jobId + " is already " + state);
        this.jobId = jobId;
        this.state = state;
    }

    /** @return the job */
    public String jobId() {
        return jobId;
    }

    /** @return the terminal state the job is in */
    public JobState state() {
        return state;
    }
}
