package io.tally.runner;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import io.tally.InvalidInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link NatsDispatcher}'s work on jnats, in a class of its own so that the public class loads without jnats and
 * can say which artifact is missing. How it works is told on {@link NatsDispatcher}.
 */
final class NatsJetStream implements Dispatcher {
    private static final Logger log = LoggerFactory.getLogger(NatsDispatcher.class);
    private static final int STREAM_NOT_FOUND = 10059;

    private final Connection connection;
    private final JetStream js;
    private final String stream;
    private final String subject;
    private final String deadStream;
    private final String deadSubject;
    private final String durable;
    private final Duration ackWait;
    private final int threads;
    private final int maxDeliveries;
    private final boolean consume;
    private volatile boolean closed;
    private PullConsumer<Message> consumer;

    NatsJetStream(NatsDispatcher.Builder b) {
        this.stream = b.stream();
        this.subject = b.subject();
        this.deadStream = stream + "_DEAD";
        this.deadSubject = subject + ".dead";
        this.durable = b.durable();
        this.ackWait = b.ackWait();
        this.threads = b.threads();
        this.maxDeliveries = b.maxDeliveries();
        this.consume = b.consume();
        Options options;
        try {
            options = new Options.Builder()
                    .server(b.url())
                    .connectionName("tally-" + stream)
                    .maxReconnects(-1)
                    .build();
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("natsUrl", "not a NATS URL: " + e.getMessage());
        }
        try {
            this.connection = Nats.connect(options);
        } catch (IOException e) {
            throw new DispatchException("cannot connect to NATS for stream " + stream + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DispatchException("interrupted connecting to NATS", e);
        }
        try {
            JetStreamManagement jsm = connection.jetStreamManagement();
            ensureStream(jsm, stream, subject, RetentionPolicy.WorkQueue);
            ensureStream(jsm, deadStream, deadSubject, RetentionPolicy.Limits);
            this.js = connection.jetStream();
        } catch (DispatchException e) {
            closeQuietly();
            throw e;
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            closeQuietly();
            throw new DispatchException(
                    "cannot create JetStream streams " + stream + " and " + deadStream + ": " + e, e);
        }
    }

    private static void ensureStream(JetStreamManagement jsm, String name, String subject, RetentionPolicy retention)
            throws IOException, JetStreamApiException {
        try {
            List<String> subjects = jsm.getStreamInfo(name).getConfiguration().getSubjects();
            if (!subjects.contains(subject)) {
                // Publishing would fail with "no responders", or land in another stream: say so now.
                throw new DispatchException("JetStream stream " + name + " exists with subjects " + subjects + ", not "
                        + subject + ": name another stream, or use its subject");
            }
            return;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != STREAM_NOT_FOUND) {
                throw e;
            }
        }
        StreamConfiguration config = StreamConfiguration.builder()
                .name(name)
                .subjects(subject)
                .retentionPolicy(retention)
                .storageType(StorageType.File)
                .build();
        try {
            jsm.addStream(config);
        } catch (JetStreamApiException raced) {
            jsm.getStreamInfo(name); // another process created it meanwhile; anything else is thrown from here
        }
    }

    @Override
    public void publish(WorkMessage message) {
        if (closed) {
            throw new DispatchException("dispatcher is closed; cannot publish " + message);
        }
        try {
            js.publish(subject, message.toJson().getBytes(StandardCharsets.UTF_8));
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            throw new DispatchException("publishing " + message + " to " + subject + " failed: " + e, e);
        }
    }

    @Override
    public synchronized void start(MessageHandler handler) {
        if (handler == null) {
            throw new InvalidInputException("handler", "must not be null");
        }
        if (!consume || consumer != null) {
            return;
        }
        JetStreamSubscription sub;
        try {
            connection
                    .jetStreamManagement()
                    .addOrUpdateConsumer(
                            stream,
                            ConsumerConfiguration.builder()
                                    .durable(durable)
                                    .filterSubject(subject)
                                    .ackPolicy(AckPolicy.Explicit)
                                    .deliverPolicy(DeliverPolicy.All)
                                    .ackWait(ackWait)
                                    .maxDeliver(maxDeliveries + 1L)
                                    .maxAckPending(10_000)
                                    .build());
            sub = js.subscribe(subject, PullSubscribeOptions.bind(stream, durable));
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            throw new DispatchException("cannot consume " + stream + " as " + durable + ": " + e, e);
        }
        consumer = new PullConsumer<>(
                new Pulled(sub), handler, "nats", threads, Math.max(200, ackWait.toMillis() / 3), maxDeliveries);
        consumer.start();
    }

    /** The stream's messages to a {@link PullConsumer}: explicit acks, {@code inProgress} to extend the AckWait. */
    private final class Pulled implements PullConsumer.Transport<Message> {
        private final JetStreamSubscription sub;

        Pulled(JetStreamSubscription sub) {
            this.sub = sub;
        }

        @Override
        public Iterator<Message> receive(int max) {
            // iterate, not fetch: each message is handed on as it arrives (fetch waits to fill the batch, and the
            // AckWait runs meanwhile).
            return sub.iterate(max, Duration.ofSeconds(1));
        }

        @Override
        public int maxPerReceive() {
            return Integer.MAX_VALUE;
        }

        @Override
        public WorkMessage parse(Message m) {
            return WorkMessage.fromJson(new String(m.getData(), StandardCharsets.UTF_8));
        }

        @Override
        public int deliveries(Message m) {
            return (int) Math.min(Integer.MAX_VALUE, m.metaData().deliveredCount());
        }

        @Override
        public void extend(Message m) {
            m.inProgress();
        }

        @Override
        public void ack(Message m) {
            m.ack();
        }

        @Override
        public void retry(Message m) {
            m.nak();
        }

        @Override
        public boolean deadLetter(Message m, int deliveries, Exception cause) {
            return NatsJetStream.this.deadLetter(m, m.getData(), deliveries, cause);
        }

        @Override
        public String deadPlace() {
            return "stream '" + deadStream + "' (subject '" + deadSubject + "')";
        }

        @Override
        public String source() {
            return stream;
        }
    }

    /** Publishes a copy to the dead-letter subject, then acks the original. @return whether it was moved */
    private boolean deadLetter(Message msg, byte[] body, int deliveries, Exception cause) {
        Headers headers = new Headers()
                .add("Tally-Deliveries", String.valueOf(deliveries))
                .add("Tally-Error", Deliveries.oneLine(String.valueOf(cause)));
        try {
            js.publish(deadSubject, headers, body);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            log.warn("cannot dead-letter to {}; the message comes back: {}", deadSubject, e.toString());
            msg.nak();
            return false;
        }
        msg.ack();
        return true;
    }

    /** Stops fetching, waits briefly for running messages, flushes the acks, closes the connection. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (consumer != null) {
                consumer.close(3000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly();
        }
    }

    private void closeQuietly() {
        try {
            connection.flush(Duration.ofSeconds(2));
        } catch (Exception e) {
            log.debug("flushing the NATS connection: {}", e.toString());
        }
        try {
            connection.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
