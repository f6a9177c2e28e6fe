package io.tally;

/**
 * The store could not be reached or failed (connection refused, timeout, I/O error). The message names the store
 * URL with any password masked. The operation may or may not have been applied if the failure came after sending.
 */
public class StoreUnavailableException extends TallyException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed, naming the store
     * @param cause the driver's exception
     */
    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    /** @param message what failed, naming the store */
    public StoreUnavailableException(String message) {
        super(message);
    }
}
