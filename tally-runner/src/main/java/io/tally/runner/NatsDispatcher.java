package io.tally.runner;

import io.tally.InvalidInputException;
import io.tally.internal.OptionalDependency;
import java.time.Duration;

/**
 * A {@link Dispatcher} over a NATS JetStream work-queue stream (needs {@code io.nats:jnats}).
 *
 * <p><b>How it works.</b> Publisher and workers create, if missing, the stream {@code stream} (work-queue retention,
 * file storage) on the subject {@code subject}, and the dead-letter stream {@code <stream>_DEAD} on
 * {@code <subject>.dead}. {@link #publish} is a JetStream publish: it returns once the server stored the message and
 * acknowledged it; an error or no acknowledgement is a {@link DispatchException}. Workers share one durable pull
 * consumer ({@code durable}) with explicit acks and an {@code AckWait} of {@code ackWait}; each fetches as many
 * messages as it has free threads. While a part runs, the worker extends its {@code AckWait} with
 * {@code inProgress()} every third of it, so a long part is not redelivered from a live worker; a worker that dies
 * stops doing so and its messages are redelivered to another worker after {@code ackWait}. A message is acknowledged
 * (and so removed from the work queue) after its handler returned; a handler that throws has it {@code nak()}ed, so it
 * is delivered again at once. The server counts deliveries ({@code num_delivered}); after {@code maxDeliveries}, or
 * when the runner gave up on the part, the worker publishes the message to the dead-letter subject (with headers
 * {@code Tally-Deliveries} and {@code Tally-Error}), acknowledges the original, and the runner fails the part with a
 * reason naming the part, the deliveries and the stream ({@link Deliveries}). The consumer's {@code MaxDeliver} is
 * {@code maxDeliveries + 1}: a message whose worker died on its last delivery comes once more, to be dead-lettered
 * without running.
 *
 * <p>Delivery is at least once, in the stream's order among free workers.
 */
public final class NatsDispatcher extends BrokerDispatcher {
    /** jnats: optional for the runner, needed here; checked before any class that uses it is loaded. */
    static final OptionalDependency JNATS =
            OptionalDependency.of("the NATS dispatcher", "io.nats.client.Nats", "io.nats:jnats");

    private NatsDispatcher(Dispatcher stream) {
        super(stream);
    }

    /**
     * @param natsUrl e.g. {@code nats://127.0.0.1:4222} (often read from configuration, so it is checked as input)
     * @return a builder
     * @throws InvalidInputException if the URL is null or blank
     */
    public static Builder builder(String natsUrl) {
        return new Builder(DispatcherChecks.url("natsUrl", natsUrl));
    }

    /**
     * Builds a {@link NatsDispatcher}. The settings are the program's own: a bad one is an
     * {@link IllegalArgumentException}, a null a {@link NullPointerException}.
     *
     * <table>
     * <caption>Settings</caption>
     * <tr><th>setting</th><th>default</th></tr>
     * <tr><td>{@code stream}</td><td>{@code TALLY_WORK} (work-queue retention)</td></tr>
     * <tr><td>{@code subject}</td><td>{@code tally.work}</td></tr>
     * <tr><td>{@code durable}</td><td>{@code tally-workers}: the pull consumer every worker shares</td></tr>
     * <tr><td>{@code ackWait}</td><td>30 s: a dead worker's messages are redelivered after this</td></tr>
     * <tr><td>{@code threads}</td><td>max(2, processors): messages handled at once</td></tr>
     * <tr><td>{@code maxDeliveries}</td><td>5: deliveries before a message is dead-lettered</td></tr>
     * <tr><td>{@code consume}</td><td>true; false for a process that only publishes</td></tr>
     * </table>
     */
    public static final class Builder extends BrokerDispatcherBuilder<Builder> {
        private final String url;
        private String stream = "TALLY_WORK";
        private String subject = "tally.work";
        private String durable = "tally-workers";
        private Duration ackWait = Duration.ofSeconds(30);

        private Builder(String url) {
            this.url = url;
        }

        /**
         * @param stream the work-queue stream's name (the dead-letter stream is {@code <stream>_DEAD})
         * @throws NullPointerException if it is null
         * @throws IllegalArgumentException if it is blank, longer than 256 characters, or holds {@code . * > /} or
         *     white space (NATS names may not)
         */
        public Builder stream(String stream) {
            this.stream = name("stream", stream);
            return this;
        }

        /**
         * @param subject the subject messages are published on (dead letters go to {@code <subject>.dead})
         * @throws NullPointerException if it is null
         * @throws IllegalArgumentException if it is blank or longer than 256 characters
         */
        public Builder subject(String subject) {
            this.subject = DispatcherChecks.text("subject", subject);
            return this;
        }

        /**
         * @param durable the durable consumer every worker shares
         * @throws NullPointerException if it is null
         * @throws IllegalArgumentException if it is not a NATS name (see {@link #stream})
         */
        public Builder durable(String durable) {
            this.durable = name("durable", durable);
            return this;
        }

        /**
         * @param ackWait how long a delivered message may go without an ack or a progress signal before it is
         *     redelivered
         * @throws NullPointerException if it is null
         * @throws IllegalArgumentException if it is shorter than 1 s
         */
        public Builder ackWait(Duration ackWait) {
            this.ackWait = DispatcherChecks.atLeast("ackWait", ackWait, Duration.ofSeconds(1));
            return this;
        }

        /**
         * @return the dispatcher, connected, with its streams (and, to consume, its consumer) created
         * @throws DispatchException if NATS cannot be reached, has no JetStream, or refuses the streams
         * @throws IllegalStateException if jnats ({@code io.nats:jnats}) is not on the class path
         */
        public NatsDispatcher build() {
            JNATS.require(NatsDispatcher.class, IllegalStateException::new);
            return new NatsDispatcher(new NatsJetStream(this));
        }

        private static String name(String field, String value) {
            DispatcherChecks.text(field, value);
            if (value.matches(".*[.*>/\\s].*")) {
                throw new IllegalArgumentException(
                        field + " may not hold '.', '*', '>', '/' or white space, was '" + value + "'");
            }
            return value;
        }

        String url() {
            return url;
        }

        String stream() {
            return stream;
        }

        String subject() {
            return subject;
        }

        String durable() {
            return durable;
        }

        Duration ackWait() {
            return ackWait;
        }
    }
}
