package io.tally.runner;

/** What a {@link Dispatcher} hands each delivered message to ({@link Runner#handle}). */
@FunctionalInterface
public interface MessageHandler {
    /**
     * @param message the delivered message ({@link WorkMessage#attempt()} counts its deliveries)
     * @throws DeadLetterException to have the message dead-lettered at once (its failure is recorded already)
     * @throws Exception to have the message delivered again; returning normally acknowledges it
     */
    void handle(WorkMessage message) throws Exception;

    /**
     * Told after the dispatcher moved a message to its dead-letter place, so the work it stood for can be failed (the
     * runner fails the part, and the job unless the failure is tolerated). Never throws; the default does nothing.
     *
     * @param message the message as last delivered ({@link WorkMessage#attempt()}: its deliveries)
     * @param place where it now lies, e.g. {@code queue 'tally.work.dead'}
     * @param cause why: the last delivery's exception, or a {@link DeadLetterException}
     */
    default void deadLettered(WorkMessage message, String place, Exception cause) {}
}
