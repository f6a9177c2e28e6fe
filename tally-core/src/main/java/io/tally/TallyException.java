package io.tally;

/**
 * Root of Tally's unchecked exception tree. Store and driver exceptions are wrapped in a subclass of this, so callers
 * can catch one type.
 */
public class TallyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what went wrong, in words a user can act on */
    public TallyException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong
     * @param cause the underlying exception
     */
    public TallyException(String message, Throwable cause) {
        super(message, cause);
    }
}
