package io.tally.runner;

import io.tally.InvalidInputException;
import io.tally.internal.OptionalDependency;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;

/**
 * A {@link Dispatcher} over a Redis Stream with a consumer group (needs {@code io.lettuce:lettuce-core}).
 *
 * <p><b>How it works.</b> {@link #publish} is one {@code XADD stream * message <json>}, sent synchronously: when it
 * returns, Redis has the message; when it fails, {@link DispatchException} is thrown. Each worker reads with
 * {@code XREADGROUP GROUP group consumer COUNT free BLOCK 1000 STREAMS stream >}, reading only as many entries as it
 * has free threads. An entry is acknowledged ({@code XACK}, then {@code XDEL} so the stream stays small) only after
 * the handler returned. If the handler throws, the message is published again with {@code attempt + 1} and the
 * original acknowledged (an immediate retry); after {@code maxDeliveries} (or when the runner gave up on the part) it
 * is added to the dead-letter stream instead, with the error, and the runner fails the part ({@link Deliveries}). If the worker dies, its entries stay in the group's pending list; every
 * worker runs {@code XAUTOCLAIM stream group me claimIdle …} about three times per {@code claimIdle} and takes over
 * entries idle that long. A worker keeps its own in-progress entries fresh with {@code XCLAIM … JUSTID} (idle reset)
 * so a long part is not taken from a live worker. Delivery is therefore at least once; the runner makes repeats
 * harmless.
 *
 * <p>The group is created (at the start of the stream, {@code MKSTREAM}) by whoever comes first, publisher or worker,
 * so messages published before any worker started are kept for the first one. Use one stream per deployment (one
 * group reads it): acknowledged entries are deleted.
 */
public final class RedisStreamsDispatcher implements Dispatcher {
    /** Lettuce: optional for the runner, needed here; checked before any class that uses it is loaded. */
    static final OptionalDependency LETTUCE = OptionalDependency.of(
            "the Redis Streams dispatcher", "io.lettuce.core.RedisClient", "io.lettuce:lettuce-core");

    private final RedisStreams streams;

    private RedisStreamsDispatcher(RedisStreams streams) {
        this.streams = streams;
    }

    /**
     * @param redisUrl a Lettuce URL, e.g. {@code redis://127.0.0.1:6379/0} (often read from configuration, so it is
     *     checked as input)
     * @return a builder
     * @throws InvalidInputException if the URL is null or blank
     */
    public static Builder builder(String redisUrl) {
        if (redisUrl == null || redisUrl.isBlank()) {
            throw new InvalidInputException("redisUrl", "must not be blank");
        }
        return new Builder(redisUrl);
    }

    @Override
    public void publish(WorkMessage message) {
        streams.publish(message);
    }

    @Override
    public void start(MessageHandler handler) {
        streams.start(handler);
    }

    /** @return this worker's consumer name in the group */
    public String consumer() {
        return streams.consumer();
    }

    /** Stops reading, waits briefly for running messages, closes the connections. Unacknowledged entries stay pending. */
    @Override
    public void close() {
        streams.close();
    }

    /**
     * Builds a {@link RedisStreamsDispatcher}. The settings are the program's own (the {@link Worker} checks its
     * command-line options as input): a bad one is an {@link IllegalArgumentException}, a null a
     * {@link NullPointerException}.
     *
     * <table>
     * <caption>Settings</caption>
     * <tr><th>setting</th><th>default</th></tr>
     * <tr><td>{@code stream}</td><td>{@code tally:work}</td></tr>
     * <tr><td>{@code group}</td><td>{@code tally-workers}</td></tr>
     * <tr><td>{@code consumer}</td><td>{@code <pid@host>-<random>}, unique per process</td></tr>
     * <tr><td>{@code claimIdle}</td><td>60 s: a dead worker's entries are taken over after this</td></tr>
     * <tr><td>{@code threads}</td><td>max(2, processors): parts run at once in this worker</td></tr>
     * <tr><td>{@code consume}</td><td>true; false for a process that only publishes</td></tr>
     * <tr><td>{@code maxDeliveries}</td><td>5: a message whose handler threw this often is dead-lettered</td></tr>
     * <tr><td>{@code deadLetterStream}</td><td>{@code <stream>:dead}</td></tr>
     * </table>
     */
    public static final class Builder extends BrokerDispatcherBuilder<Builder> {
        private final String url;
        private String stream = "tally:work";
        private String group = "tally-workers";
        private String consumer = ManagementFactory.getRuntimeMXBean().getName() + "-"
                + UUID.randomUUID().toString().substring(0, 8);
        private Duration claimIdle = Duration.ofSeconds(60);
        private String deadLetterStream;

        private Builder(String url) {
            this.url = url;
        }

        /**
         * @param stream the stream key
         * @throws NullPointerException if it is null
         * @throws IllegalArgumentException if it is blank or longer than 256 characters
         */
        public Builder stream(String stream) {
            this.stream = text("stream", stream);
            return this;
        }

        /**
         * @param group the consumer group every worker joins
         * @throws NullPointerException if it is null
         * @throws IllegalArgumentException if it is blank or longer than 256 characters
         */
        public Builder group(String group) {
            this.group = text("group", group);
            return this;
        }

        /**
         * @param consumer this worker's name in the group (must be unique among live workers)
         * @throws NullPointerException if it is null
         * @throws IllegalArgumentException if it is blank or longer than 256 characters
         */
        public Builder consumer(String consumer) {
            this.consumer = text("consumer", consumer);
            return this;
        }

        /**
         * @param idle how long an entry stays pending with a worker before another one takes it over
         * @throws NullPointerException if it is null
         * @throws IllegalArgumentException if it is shorter than 100 ms
         */
        public Builder claimIdle(Duration idle) {
            if (Objects.requireNonNull(idle, "claimIdle").toMillis() < 100) {
                throw new IllegalArgumentException("claimIdle must be at least 100 ms, was " + idle);
            }
            this.claimIdle = idle;
            return this;
        }

        /**
         * @param stream where dead-lettered messages are added (field {@code message} and {@code error})
         * @throws NullPointerException if it is null
         * @throws IllegalArgumentException if it is blank or longer than 256 characters
         */
        public Builder deadLetterStream(String stream) {
            this.deadLetterStream = text("deadLetterStream", stream);
            return this;
        }

        /**
         * @return the dispatcher, connected, with its group created
         * @throws DispatchException if Redis cannot be reached
         * @throws IllegalStateException if Lettuce ({@code io.lettuce:lettuce-core}) is not on the class path
         */
        public RedisStreamsDispatcher build() {
            LETTUCE.require(RedisStreamsDispatcher.class, IllegalStateException::new);
            return new RedisStreamsDispatcher(new RedisStreams(this));
        }

        String url() {
            return url;
        }

        String stream() {
            return stream;
        }

        String group() {
            return group;
        }

        String consumer() {
            return consumer;
        }

        Duration claimIdle() {
            return claimIdle;
        }

        String deadLetterStream() {
            return deadLetterStream != null ? deadLetterStream : stream + ":dead";
        }

        private static String text(String field, String value) {
            if (Objects.requireNonNull(value, field).isBlank() || value.length() > 256) {
                throw new IllegalArgumentException(field + " must be 1–256 characters, was '" + value + "'");
            }
            return value;
        }
    }
}
