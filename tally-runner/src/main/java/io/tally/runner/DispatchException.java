package io.tally.runner;

import io.tally.TallyException;

/** A {@link Dispatcher} could not publish a message. Never swallowed: the map-reduce job fails and this is thrown. */
public class DispatchException extends TallyException {
    private static final long serialVersionUID = 1L;

    /** @param message what failed */
    public DispatchException(String message) {
        super(message);
    }

    /**
     * @param message what failed
     * @param cause the transport's exception
     */
    public DispatchException(String message, Throwable cause) {
        super(message, cause);
    }
}
