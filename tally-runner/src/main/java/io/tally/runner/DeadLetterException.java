package io.tally.runner;

/**
 * A message is given up on: it is not delivered again but moved to the dispatcher's dead-letter place (a queue, a
 * stream or, in process, the log). A {@link MessageHandler} throws it when it has recorded the message's failure
 * itself (the runner does after a part's last attempt, {@link MapReduceOptions#maxAttempts}); a dispatcher makes one
 * when a message used up its deliveries, and hands it to {@link MessageHandler#deadLettered}.
 */
public class DeadLetterException extends DispatchException {
    private static final long serialVersionUID = 1L;

    /** @param message why the message is given up on (it names the part and the attempts) */
    public DeadLetterException(String message) {
        super(message);
    }

    /**
     * @param message why the message is given up on (it names the part and the attempts)
     * @param cause the last delivery's exception
     */
    public DeadLetterException(String message, Throwable cause) {
        super(message, cause);
    }
}
