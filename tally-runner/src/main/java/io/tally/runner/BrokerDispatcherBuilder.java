package io.tally.runner;

/**
 * The settings every broker dispatcher's builder has ({@link RabbitMqDispatcher.Builder}, {@link
 * NatsDispatcher.Builder}, {@link SqsDispatcher.Builder}), kept once: the messages a worker handles at once, the
 * deliveries of a message before it is dead-lettered, and whether the process consumes at all.
 *
 * @param <B> the builder itself, so that the settings chain
 */
public abstract class BrokerDispatcherBuilder<B extends BrokerDispatcherBuilder<B>> {
    private int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
    private int maxDeliveries = 5;
    private boolean consume = true;

    /** Only the runner's own builders extend it. */
    BrokerDispatcherBuilder() {}

    /**
     * @param threads messages handled at once by this worker (on RabbitMQ also its prefetch); default max(2,
     *     processors)
     * @return this builder
     * @throws IllegalArgumentException if it is less than 1
     */
    public B threads(int threads) {
        this.threads = DispatcherChecks.atLeastOne("threads", threads);
        return self();
    }

    /**
     * @param n deliveries of a message before it is dead-lettered; default 5
     * @return this builder
     * @throws IllegalArgumentException if it is less than 1
     */
    public B maxDeliveries(int n) {
        this.maxDeliveries = DispatcherChecks.atLeastOne("maxDeliveries", n);
        return self();
    }

    /**
     * @param consume false for a process that only publishes; default true
     * @return this builder
     */
    public B consume(boolean consume) {
        this.consume = consume;
        return self();
    }

    int threads() {
        return threads;
    }

    int maxDeliveries() {
        return maxDeliveries;
    }

    boolean consume() {
        return consume;
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }
}
