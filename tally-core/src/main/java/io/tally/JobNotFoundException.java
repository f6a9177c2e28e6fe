package io.tally;

/** No job with the given id exists (it was never created, or it was deleted). */
public class JobNotFoundException extends TallyException {
    private static final long serialVersionUID = 1L;
    private final String jobId;

    /** @param jobId the id that was looked up */
    public JobNotFoundException(String jobId) {
        super("job not found: " + jobId);
        this.jobId = jobId;
    }

    /** @return the id that was looked up */
    public String jobId() {
        return jobId;
    }
}
