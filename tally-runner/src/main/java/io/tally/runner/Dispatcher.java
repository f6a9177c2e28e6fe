package io.tally.runner;

/**
 * Carries map messages from the process that starts a map-reduce job to the workers that run its parts. Delivery is
 * at least once: a message whose handler throws (or whose worker dies) is delivered again, and the runner makes a
 * redelivered part harmless (parts are idempotent, the reduce is claimed exactly once in the store).
 *
 * <p>Implementations: {@link InProcessDispatcher} (an executor in this process), {@link RedisStreamsDispatcher},
 * {@link RabbitMqDispatcher}, {@link NatsDispatcher}, {@link SqsDispatcher}; {@link Dispatchers} opens one by URL. Each applies the one
 * redelivery policy ({@code Deliveries}): a throwing handler's message is delivered again while deliveries remain,
 * then moved to the transport's dead-letter place and {@link MessageHandler#deadLettered} is told.
 */
public interface Dispatcher extends AutoCloseable {
    /**
     * Starts delivering messages to {@code handler} (this process becomes a worker). Called once by the runner.
     *
     * @param handler handles one message; returning normally acknowledges it, throwing asks for a redelivery
     */
    void start(MessageHandler handler);

    /**
     * Publishes one message. Must not return before the transport accepted it.
     *
     * @throws DispatchException if it could not be published
     */
    void publish(WorkMessage message);

    /** Stops delivering; messages not yet delivered stay with the transport where it keeps them. */
    @Override
    void close();
}
