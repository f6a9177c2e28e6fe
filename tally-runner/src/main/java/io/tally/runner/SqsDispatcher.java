package io.tally.runner;

import io.tally.InvalidInputException;
import io.tally.internal.OptionalDependency;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * A {@link Dispatcher} over an Amazon SQS standard queue (needs {@code software.amazon.awssdk:sqs} and
 * {@code software.amazon.awssdk:url-connection-client}); tested on ElasticMQ.
 *
 * <p><b>URL.</b> {@code sqs://HOST:PORT?region=REGION&queue=NAME}: an SQS-compatible server at that endpoint over
 * http (ElasticMQ, a local server), with the SDK's default credentials when it finds some, else a dummy static pair
 * (such servers do not check signatures); {@code region} defaults to {@code us-east-1}. {@code sqs:?region=REGION&
 * queue=NAME}: the AWS endpoint of the region with the SDK's default credential chain (environment, profile, container
 * or instance role); without {@code region}, the SDK's default region chain. {@code queue} may also be set on the
 * builder.
 *
 * <p><b>How it works.</b> Publisher and workers create, if missing, the standard queue {@code queue} and the
 * dead-letter queue {@code <queue>-dead}; a queue created here gets a redrive policy to {@code <queue>-dead} after
 * {@code maxDeliveries + 1} receives (a backstop: a message whose worker died on its last delivery comes once more, to
 * be dead-lettered without running and the job told; only when that worker dies too does SQS move it on its own).
 * {@link #publish} returns once {@code SendMessage} succeeded; a failure is a {@link DispatchException}. Each worker
 * long-polls ({@code ReceiveMessage}, up to 5 s) for as many messages as it has free threads, with a visibility
 * timeout of {@code visibilityTimeout}; while a part runs it extends that timeout ({@code ChangeMessageVisibility})
 * every third of it, so a long part is not redelivered from a live worker, and a worker that dies stops doing so: its
 * messages come back to another worker after {@code visibilityTimeout}. A message is deleted after its handler
 * returned; a handler that throws has its visibility set to 0, so it is delivered again at once. The deliveries are
 * SQS's {@code ApproximateReceiveCount}; after {@code maxDeliveries}, or when the runner gave up on the part, the
 * worker sends the message to {@code <queue>-dead} (with message attributes {@code Tally-Deliveries} and
 * {@code Tally-Error}), deletes the original, and the runner fails the part with a reason naming the part, the
 * deliveries and the queue ({@link Deliveries}).
 *
 * <p>Delivery is at least once and, as SQS's standard queues are, in no promised order. FIFO queues are not used.
 */
public final class SqsDispatcher extends BrokerDispatcher {
    /** The SQS client: optional for the runner, needed here; checked before any class that uses it is loaded. */
    static final OptionalDependency SQS = OptionalDependency.of(
            "the SQS dispatcher", "software.amazon.awssdk.services.sqs.SqsClient", "software.amazon.awssdk:sqs");

    /** The HTTP client it runs on (the JDK's HttpURLConnection: no Netty, no Apache client). */
    static final OptionalDependency URL_CONNECTION = OptionalDependency.of(
            "the SQS dispatcher",
            "software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient",
            "software.amazon.awssdk:url-connection-client");

    private SqsDispatcher(Dispatcher queue) {
        super(queue);
    }

    /**
     * @param sqsUrl {@code sqs://HOST:PORT?region=…&queue=…} or {@code sqs:?region=…&queue=…} (often read from
     *     configuration, so it is checked as input)
     * @return a builder
     * @throws InvalidInputException if the URL is blank or not such a URL
     */
    public static Builder builder(String sqsUrl) {
        return new Builder(DispatcherChecks.url("sqsUrl", sqsUrl));
    }

    /**
     * Builds a {@link SqsDispatcher}. The settings are the program's own: a bad one is an
     * {@link IllegalArgumentException}, a null a {@link NullPointerException}.
     *
     * <table>
     * <caption>Settings</caption>
     * <tr><th>setting</th><th>default</th></tr>
     * <tr><td>{@code queue}</td><td>the URL's {@code queue}, else {@code tally-work}</td></tr>
     * <tr><td>{@code visibilityTimeout}</td><td>30 s: a dead worker's messages are redelivered after this</td></tr>
     * <tr><td>{@code threads}</td><td>max(2, processors): messages handled at once</td></tr>
     * <tr><td>{@code maxDeliveries}</td><td>5: deliveries before a message is dead-lettered</td></tr>
     * <tr><td>{@code consume}</td><td>true; false for a process that only publishes</td></tr>
     * </table>
     */
    public static final class Builder extends BrokerDispatcherBuilder<Builder> {
        private final String endpoint;
        private final String region;
        private String queue = "tally-work";
        private Duration visibilityTimeout = Duration.ofSeconds(30);

        private Builder(String url) {
            String lower = url.toLowerCase(Locale.ROOT);
            if (!lower.startsWith("sqs:")) {
                throw new InvalidInputException("sqsUrl", "must start with sqs:// or sqs:?, was " + url);
            }
            String rest = url.substring(4);
            int q = rest.indexOf('?');
            String where = q < 0 ? rest : rest.substring(0, q);
            String query = q < 0 ? "" : rest.substring(q + 1);
            if (where.isEmpty()) {
                this.endpoint = null;
            } else if (where.startsWith("//") && where.substring(2).matches("[A-Za-z0-9.\\-]+:[0-9]{1,5}/?")) {
                this.endpoint = where.substring(2).replaceAll("/$", "");
            } else {
                throw new InvalidInputException(
                        "sqsUrl",
                        "must be sqs://HOST:PORT?region=…&queue=… (a local server) or sqs:?region=…&queue=… (AWS), was "
                                + url);
            }
            String region = null;
            for (String pair : query.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name = eq < 0 ? pair : pair.substring(0, eq);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                switch (name) {
                    case "region" -> {
                        if (!value.matches("[a-z0-9-]{1,64}")) {
                            throw new InvalidInputException(
                                    "sqsUrl", "region must be like us-east-1, was '" + value + "' in " + url);
                        }
                        region = value;
                    }
                    case "queue" -> {
                        try {
                            this.queue = name("queue", value);
                        } catch (IllegalArgumentException e) {
                            throw new InvalidInputException("sqsUrl", e.getMessage() + " in " + url);
                        }
                    }
                    default ->
                        throw new InvalidInputException(
                                "sqsUrl", "unknown parameter " + name + " (known: region, queue) in " + url);
                }
            }
            this.region = region;
        }

        /**
         * @param queue the standard queue's name (the dead-letter queue is {@code <queue>-dead})
         * @throws NullPointerException if it is null
         * @throws IllegalArgumentException if it is not 1–75 letters, digits, {@code -} or {@code _} (an SQS name,
         *     with room for {@code -dead})
         */
        public Builder queue(String queue) {
            this.queue = name("queue", queue);
            return this;
        }

        /**
         * @param timeout how long a received message stays hidden from other workers; a live worker extends it while
         *     the part runs, a dead worker's messages come back after it
         * @throws IllegalArgumentException if it is under 1 s or over 12 h (SQS's limits)
         */
        public Builder visibilityTimeout(Duration timeout) {
            DispatcherChecks.atLeast("visibilityTimeout", timeout, Duration.ofSeconds(1));
            if (timeout.compareTo(Duration.ofHours(12)) > 0) {
                throw new IllegalArgumentException("visibilityTimeout must be at most PT12H, was " + timeout);
            }
            this.visibilityTimeout = timeout;
            return this;
        }

        /**
         * @param n deliveries of a message before it is dead-lettered
         * @return this builder
         * @throws IllegalArgumentException if it is less than 1 or more than 999 (SQS's redrive limit is 1000)
         */
        @Override
        public Builder maxDeliveries(int n) {
            if (n > 999) {
                throw new IllegalArgumentException("maxDeliveries must be at most 999, was " + n);
            }
            return super.maxDeliveries(n);
        }

        /**
         * @return the dispatcher, with its queues created
         * @throws DispatchException if SQS cannot be reached or refuses the queues
         * @throws IllegalStateException if the SDK's SQS client or its HTTP client is not on the class path (the
         *     message names the artifact)
         */
        public SqsDispatcher build() {
            SQS.require(SqsDispatcher.class, IllegalStateException::new);
            URL_CONNECTION.require(SqsDispatcher.class, IllegalStateException::new);
            return new SqsDispatcher(new Sqs(this));
        }

        private static String name(String field, String value) {
            DispatcherChecks.text(field, value);
            if (!value.matches("[A-Za-z0-9_-]{1,75}")) {
                throw new IllegalArgumentException(field
                        + " must be 1–75 letters, digits, '-' or '_' (an SQS standard queue's name), was '" + value
                        + "'");
            }
            return value;
        }

        /** @return HOST:PORT of a local server, or null for AWS */
        String endpoint() {
            return endpoint;
        }

        /** @return the region, or null for the SDK's default (AWS) or us-east-1 (a local server) */
        String region() {
            return region;
        }

        String queue() {
            return queue;
        }

        Duration visibilityTimeout() {
            return visibilityTimeout;
        }
    }
}
