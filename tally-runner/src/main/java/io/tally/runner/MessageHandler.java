package io.tally.runner;

/** What a {@link Dispatcher} hands each delivered message to ({@link Runner#handle}). */
@FunctionalInterface
public interface MessageHandler {
    /**
     * @param message the delivered message
     * @throws Exception to have the message delivered again; returning normally acknowledges it
     */
    void handle(WorkMessage message) throws Exception;
}
