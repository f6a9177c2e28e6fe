package io.tally.runner;

import io.tally.InvalidInputException;
import java.time.Duration;
import java.util.Locale;

/**
 * Opens the {@link Dispatcher} a URL names: the one way the {@link Worker}, {@code tally worker} and
 * {@link Runner.Builder#dispatcher(String)} select a transport.
 *
 * <table>
 * <caption>URL schemes</caption>
 * <tr><th>URL</th><th>dispatcher</th><th>needs</th></tr>
 * <tr><td>{@code redis://host:port[/db]}, {@code rediss://…}</td><td>{@link RedisStreamsDispatcher}</td>
 * <td>{@code io.lettuce:lettuce-core}</td></tr>
 * <tr><td>{@code amqp://user:pass@host:port[/vhost]}, {@code amqps://…}</td><td>{@link RabbitMqDispatcher}</td>
 * <td>{@code com.rabbitmq:amqp-client}</td></tr>
 * <tr><td>{@code nats://host:port}</td><td>{@link NatsDispatcher}</td><td>{@code io.nats:jnats}</td></tr>
 * <tr><td>{@code sqs://host:port?region=…&queue=…} (a local server), {@code sqs:?region=…&queue=…} (AWS)</td>
 * <td>{@link SqsDispatcher}</td><td>{@code software.amazon.awssdk:sqs}, {@code …:url-connection-client}</td></tr>
 * </table>
 *
 * <pre>{@code
 * Dispatcher d = Dispatchers.url("amqp://guest:guest@127.0.0.1:5672").queue("tiles").threads(4).open();
 * }</pre>
 *
 * Settings left unset keep the transport's own default (see each builder). A setting a transport does not have is
 * refused rather than ignored.
 */
public final class Dispatchers {
    private Dispatchers() {}

    /**
     * @param url the transport's URL
     * @return a builder for the dispatcher it names
     * @throws InvalidInputException if the URL is blank or its scheme names no dispatcher
     */
    public static Builder url(String url) {
        return new Builder(DispatcherChecks.url("url", url));
    }

    /** The transports a URL can name. */
    enum Kind {
        REDIS,
        RABBITMQ,
        NATS,
        SQS
    }

    static Kind kindOf(String url) {
        if (url.regionMatches(true, 0, "sqs:", 0, 4)) {
            return Kind.SQS; // sqs://host:port?… and sqs:?… (AWS, no host)
        }
        int colon = url.indexOf("://");
        String scheme = colon < 0 ? "" : url.substring(0, colon).toLowerCase(Locale.ROOT);
        return switch (scheme) {
            case "redis", "rediss" -> Kind.REDIS;
            case "amqp", "amqps" -> Kind.RABBITMQ;
            case "nats" -> Kind.NATS;
            default ->
                throw new InvalidInputException(
                        "url",
                        "no dispatcher for '" + (colon < 0 ? url : scheme + "://")
                                + "': use redis://, rediss:// (Redis Streams), amqp://, amqps:// (RabbitMQ), nats:// "
                                + "(NATS JetStream) or sqs://, sqs: (Amazon SQS)");
        };
    }

    /**
     * The settings of the dispatcher a URL names, handed at once to that transport's own builder (so a bad value is
     * refused where it is set, as there: an {@link IllegalArgumentException}); what is not set keeps its default.
     */
    public static final class Builder {
        private final Kind kind;
        private final RedisStreamsDispatcher.Builder redis;
        private final RabbitMqDispatcher.Builder rabbitMq;
        private final NatsDispatcher.Builder nats;
        private final SqsDispatcher.Builder sqs;

        private Builder(String url) {
            this.kind = kindOf(url);
            this.redis = kind == Kind.REDIS ? RedisStreamsDispatcher.builder(url) : null;
            this.rabbitMq = kind == Kind.RABBITMQ ? RabbitMqDispatcher.builder(url) : null;
            this.nats = kind == Kind.NATS ? NatsDispatcher.builder(url) : null;
            this.sqs = kind == Kind.SQS ? SqsDispatcher.builder(url) : null;
        }

        /**
         * @param queue where messages are sent: the Redis Stream's key, the RabbitMQ queue, the NATS subject, the
         *     SQS queue
         * @throws IllegalArgumentException if the transport refuses it
         */
        public Builder queue(String queue) {
            switch (kind) {
                case REDIS -> redis.stream(queue);
                case RABBITMQ -> rabbitMq.queue(queue);
                case NATS -> nats.subject(queue);
                case SQS -> sqs.queue(queue);
            }
            return this;
        }

        /**
         * @param stream the NATS stream's name; for Redis the stream's key (as {@link #queue})
         * @throws IllegalArgumentException for RabbitMQ and SQS, which have queues, not streams, or if the transport
         *     refuses it
         */
        public Builder stream(String stream) {
            switch (kind) {
                case REDIS -> redis.stream(stream);
                case RABBITMQ -> throw new IllegalArgumentException("RabbitMQ has no stream: name its queue instead");
                case NATS -> nats.stream(stream);
                case SQS -> throw new IllegalArgumentException("SQS has no stream: name its queue instead");
            }
            return this;
        }

        /**
         * @param group the Redis consumer group, or the NATS durable consumer, every worker shares
         * @throws IllegalArgumentException for RabbitMQ and SQS (the workers of a queue share it without one), or if the
         *     transport refuses it
         */
        public Builder group(String group) {
            switch (kind) {
                case REDIS -> redis.group(group);
                case RABBITMQ ->
                    throw new IllegalArgumentException(
                            "RabbitMQ has no consumer group: the workers of a queue share it");
                case NATS -> nats.durable(group);
                case SQS ->
                    throw new IllegalArgumentException("SQS has no consumer group: the workers of a queue share it");
            }
            return this;
        }

        /**
         * @param threads messages handled at once by this worker
         * @throws IllegalArgumentException if it is less than 1
         */
        public Builder threads(int threads) {
            switch (kind) {
                case REDIS -> redis.threads(threads);
                case RABBITMQ -> rabbitMq.threads(threads);
                case NATS -> nats.threads(threads);
                case SQS -> sqs.threads(threads);
            }
            return this;
        }

        /**
         * @param n deliveries of a message before it is dead-lettered
         * @throws IllegalArgumentException if it is less than 1
         */
        public Builder maxDeliveries(int n) {
            switch (kind) {
                case REDIS -> redis.maxDeliveries(n);
                case RABBITMQ -> rabbitMq.maxDeliveries(n);
                case NATS -> nats.maxDeliveries(n);
                case SQS -> sqs.maxDeliveries(n);
            }
            return this;
        }

        /**
         * @param after how long a dead worker's message waits before another worker gets it: Redis's
         *     {@code claimIdle}, NATS's {@code AckWait}, SQS's visibility timeout
         * @throws IllegalArgumentException for RabbitMQ, which returns a dead worker's messages as soon as its
         *     connection drops, or if the transport refuses it
         */
        public Builder redeliverAfter(Duration after) {
            switch (kind) {
                case REDIS -> redis.claimIdle(after);
                case RABBITMQ ->
                    throw new IllegalArgumentException(
                            "RabbitMQ has no redelivery delay: it returns a dead worker's messages when its connection"
                                    + " drops");
                case NATS -> nats.ackWait(after);
                case SQS -> sqs.visibilityTimeout(after);
            }
            return this;
        }

        /** @param consume false for a process that only publishes */
        public Builder consume(boolean consume) {
            switch (kind) {
                case REDIS -> redis.consume(consume);
                case RABBITMQ -> rabbitMq.consume(consume);
                case NATS -> nats.consume(consume);
                case SQS -> sqs.consume(consume);
            }
            return this;
        }

        /**
         * @return the dispatcher, connected
         * @throws DispatchException if the transport cannot be reached
         * @throws IllegalStateException if its client library is not on the class path (the message names it)
         */
        public Dispatcher open() {
            return switch (kind) {
                case REDIS -> redis.build();
                case RABBITMQ -> rabbitMq.build();
                case NATS -> nats.build();
                case SQS -> sqs.build();
            };
        }
    }
}
