package io.tally;

/**
 * The store was sent the operation and then the connection was lost before its answer came: the operation may or may
 * not have been applied, and nobody can tell from here. Retrying is safe for keyed calls (an item, a part, a state
 * change: doing them twice changes nothing) and counts twice for an anonymous count ({@code recordSuccess()} without
 * an item). Read the job to see where it stands.
 *
 * <p>A {@link StoreUnavailableException}, since the store is not answering; the distinct type is for callers that
 * must not retry blindly.
 */
public class OutcomeUnknownException extends StoreUnavailableException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what was being done, naming the store (its password masked)
     * @param cause the driver's exception
     */
    public OutcomeUnknownException(String message, Throwable cause) {
        super(message, cause);
    }
}
