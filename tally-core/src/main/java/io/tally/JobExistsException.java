package io.tally;

/** A job was created with an id that is already taken; nothing was written. */
public class JobExistsException extends TallyException {
    private static final long serialVersionUID = 1L;
    private final String jobId;

    /** @param jobId the id that is already taken */
    public JobExistsException(String jobId) {
        super("job already exists: " + jobId);
        this.jobId = jobId;
    }

    /** @return the id that is already taken */
    public String jobId() {
        return jobId;
    }
}
