package io.tally.runner;

import io.tally.InvalidInputException;
import io.tally.internal.OptionalDependency;

/**
 * A {@link Dispatcher} over a RabbitMQ quorum queue (needs {@code com.rabbitmq:amqp-client}).
 *
 * <p><b>How it works.</b> Publisher and workers declare a durable quorum queue ({@code queue}) whose dead-letter
 * exchange is the default one, routing to the durable dead-letter queue ({@code deadLetterQueue}, by default
 * {@code <queue>.dead}). {@link #publish} sends a persistent, mandatory message (the {@link WorkMessage}'s JSON) on a
 * channel in confirm mode and returns only once the broker confirmed it; a refusal, no confirmation within 10 s, or a
 * return (no queue took it: the queue was deleted) is a {@link DispatchException}. A worker consumes with manual acknowledgements and a prefetch of {@code threads}, and
 * acknowledges a message only after its handler returned. A handler that throws has its message published again with
 * {@code attempt + 1} (confirmed) before the original is acknowledged; a worker that dies has its unacknowledged
 * messages returned to the queue by the broker at once (the connection closes), which the quorum queue counts in
 * {@code x-delivery-count}. A message's deliveries are its {@code attempt} plus that count; after
 * {@code maxDeliveries} of them, or when the runner gave up on the part, the worker rejects it without requeueing, so
 * the broker moves it to the dead-letter queue (with its {@code x-death} header), and the runner fails the part with a
 * reason naming the part, the deliveries and the queue ({@link Deliveries}).
 *
 * <p>Delivery is at least once; order is the queue's, except that a retried message goes to its back.
 */
public final class RabbitMqDispatcher extends BrokerDispatcher {
    /** amqp-client: optional for the runner, needed here; checked before any class that uses it is loaded. */
    static final OptionalDependency AMQP_CLIENT = OptionalDependency.of(
            "the RabbitMQ dispatcher", "com.rabbitmq.client.ConnectionFactory", "com.rabbitmq:amqp-client");

    private RabbitMqDispatcher(Dispatcher queue) {
        super(queue);
    }

    /**
     * @param amqpUrl e.g. {@code amqp://guest:guest@127.0.0.1:5672} or {@code amqps://…/vhost} (often read from
     *     configuration, so it is checked as input)
     * @return a builder
     * @throws InvalidInputException if the URL is null or blank
     */
    public static Builder builder(String amqpUrl) {
        return new Builder(DispatcherChecks.url("amqpUrl", amqpUrl));
    }

    /**
     * Builds a {@link RabbitMqDispatcher}. The settings are the program's own: a bad one is an
     * {@link IllegalArgumentException}, a null a {@link NullPointerException}.
     *
     * <table>
     * <caption>Settings</caption>
     * <tr><th>setting</th><th>default</th></tr>
     * <tr><td>{@code queue}</td><td>{@code tally.work} (a quorum queue)</td></tr>
     * <tr><td>{@code deadLetterQueue}</td><td>{@code <queue>.dead}</td></tr>
     * <tr><td>{@code threads}</td><td>max(2, processors): messages handled at once, and the prefetch</td></tr>
     * <tr><td>{@code maxDeliveries}</td><td>5: deliveries before a message is dead-lettered</td></tr>
     * <tr><td>{@code consume}</td><td>true; false for a process that only publishes</td></tr>
     * </table>
     */
    public static final class Builder extends BrokerDispatcherBuilder<Builder> {
        private final String url;
        private String queue = "tally.work";
        private String deadLetterQueue;

        private Builder(String url) {
            this.url = url;
        }

        /**
         * @param queue the work queue (declared as a durable quorum queue if missing)
         * @throws NullPointerException if it is null
         * @throws IllegalArgumentException if it is blank or longer than 256 characters
         */
        public Builder queue(String queue) {
            this.queue = DispatcherChecks.text("queue", queue);
            return this;
        }

        /**
         * @param queue where dead-lettered messages go (declared as a durable queue if missing)
         * @throws NullPointerException if it is null
         * @throws IllegalArgumentException if it is blank or longer than 256 characters
         */
        public Builder deadLetterQueue(String queue) {
            this.deadLetterQueue = DispatcherChecks.text("deadLetterQueue", queue);
            return this;
        }

        /**
         * @return the dispatcher, connected, with its queues declared
         * @throws DispatchException if RabbitMQ cannot be reached or refuses the queues
         * @throws InvalidInputException if the URL is not an AMQP URL
         * @throws IllegalStateException if amqp-client ({@code com.rabbitmq:amqp-client}) is not on the class path
         */
        public RabbitMqDispatcher build() {
            AMQP_CLIENT.require(RabbitMqDispatcher.class, IllegalStateException::new);
            return new RabbitMqDispatcher(new RabbitMq(this));
        }

        String url() {
            return url;
        }

        String queue() {
            return queue;
        }

        String deadLetterQueue() {
            return deadLetterQueue != null ? deadLetterQueue : queue + ".dead";
        }
    }
}
