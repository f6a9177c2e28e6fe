package io.tally.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Nats;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.MessageInfo;
import io.tally.testing.TestServices;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@link BrokerWorkers} through NATS JetStream: {@link NatsDispatcher} on a work-queue stream of this test's own,
 * with an AckWait of 3 s so that the killed worker's messages come back quickly (the live worker's long parts are kept
 * by {@code inProgress()}).
 */
class NatsDispatcherIT extends BrokerWorkers {
    private String stream() {
        return "TALLY_TEST_" + run;
    }

    @Override
    String url() {
        return TestServices.natsUrl();
    }

    @Override
    List<String> transportArgs() {
        return List.of("--stream", stream(), "--queue", "tally-test." + run, "--redeliver-after", "PT3S");
    }

    @Override
    Dispatcher publisher() {
        return NatsDispatcher.builder(url()).stream(stream())
                .subject("tally-test." + run)
                .consume(false)
                .build();
    }

    private <T> T withJsm(JsmCall<T> call) throws Exception {
        try (Connection c = Nats.connect(url())) {
            return call.apply(c.jetStreamManagement());
        }
    }

    @Override
    long waiting() throws Exception {
        // A work-queue stream keeps a message until it is acknowledged.
        return withJsm(jsm -> jsm.getStreamInfo(stream()).getStreamState().getMsgCount());
    }

    @Override
    List<WorkMessage> deadLetters() throws Exception {
        return withJsm(jsm -> {
            long count = jsm.getStreamInfo(stream() + "_DEAD").getStreamState().getMsgCount();
            List<WorkMessage> out = new ArrayList<>();
            for (long seq = 1; out.size() < count; seq++) {
                MessageInfo m = jsm.getMessage(stream() + "_DEAD", seq);
                out.add(WorkMessage.fromJson(new String(m.getData(), StandardCharsets.UTF_8)));
            }
            return out;
        });
    }

    @Override
    void deleteQueues() throws Exception {
        withJsm(jsm -> {
            for (String s : List.of(stream(), stream() + "_DEAD")) {
                try {
                    jsm.deleteStream(s);
                } catch (JetStreamApiException missing) {
                    // never created
                }
            }
            return null;
        });
    }

    @Test
    void aPartLongerThanTheAckWaitIsKeptByItsLiveWorkerNotRedelivered() throws Exception {
        AtomicInteger deliveries = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        try (Dispatcher d = NatsDispatcher.builder(url()).stream(stream())
                .subject("tally-test." + run)
                .ackWait(Duration.ofSeconds(2))
                .threads(2)
                .build()) {
            d.start(m -> {
                deliveries.incrementAndGet();
                release.await(); // runs until the test lets it go
            });
            d.publish(WorkMessage.map("tiles", "job-1", 0));

            // More than two AckWaits pass while the part runs: inProgress() keeps it with this worker.
            await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10)).until(() -> deliveries.get() == 1);
            release.countDown();
            await().atMost(Duration.ofSeconds(10)).until(() -> waiting() == 0);
            assertThat(deliveries).hasValue(1);
        }
    }

    @Test
    void aStreamOfThatNameOnAnotherSubjectIsRefusedClearly() {
        try (Dispatcher d = NatsDispatcher.builder(url()).stream(stream())
                .subject("tally-test." + run)
                .consume(false)
                .build()) {
            assertThatThrownBy(() -> NatsDispatcher.builder(url()).stream(stream())
                            .subject("tally-test.other." + run)
                            .consume(false)
                            .build())
                    .isInstanceOf(DispatchException.class)
                    .hasMessageContaining("JetStream stream " + stream() + " exists with subjects [tally-test." + run
                            + "], not tally-test.other." + run);
        }
    }

    @Test
    void aMessageWhoseWorkersKeepDyingIsDeadLetteredWithoutRunning() throws Exception {
        String subject = "tally-test." + run;
        try (Dispatcher publishing = publisher()) {
            publishing.publish(WorkMessage.map("tiles", "job-1", 4));
        }
        // Three workers take the message and die: no ack, so the server delivers it again after each AckWait.
        try (Connection c = Nats.connect(url())) {
            c.jetStreamManagement()
                    .addOrUpdateConsumer(
                            stream(),
                            ConsumerConfiguration.builder()
                                    .durable("tally-workers")
                                    .filterSubject(subject)
                                    .ackPolicy(AckPolicy.Explicit)
                                    .ackWait(Duration.ofSeconds(1))
                                    .maxDeliver(4)
                                    .build());
            JetStreamSubscription dying =
                    c.jetStream().subscribe(subject, PullSubscribeOptions.bind(stream(), "tally-workers"));
            for (int i = 1; i <= 3; i++) {
                int delivery = i;
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> dying.fetch(1, Duration.ofMillis(500)).stream()
                                .anyMatch(m -> m.metaData().deliveredCount() == delivery));
            }
        }
        PoisonWatch watch = new PoisonWatch();
        try (Dispatcher d = NatsDispatcher.builder(url()).stream(stream())
                .subject(subject)
                .ackWait(Duration.ofSeconds(1))
                .maxDeliveries(3)
                .threads(1)
                .build()) {
            d.start(watch);
            await().atMost(Duration.ofSeconds(10)).until(() -> !watch.told.isEmpty());
        }
        assertThat(watch.runs).hasValue(0);
        assertThat(watch.told)
                .containsExactly("part 4 of tiles job job-1 was dead-lettered to stream '" + stream()
                        + "_DEAD' (subject '"
                        + subject + ".dead') after 4 deliveries: part 4 of tiles job job-1 was delivered 4 times"
                        + " without an answer (its workers died?); limit 3");
        assertThat(deadLetters()).extracting(WorkMessage::part).containsExactly(4);
        assertThat(waiting()).isZero();
    }

    @Test
    void aMessageNoStreamTakesIsAPublishErrorNotALoss() throws Exception {
        try (Dispatcher publishing = publisher()) {
            withJsm(jsm -> jsm.deleteStream(stream())); // e.g. deleted by an operator while the runner publishes

            assertThatThrownBy(() -> publishing.publish(WorkMessage.map("tiles", "job-1", 0)))
                    .isInstanceOf(DispatchException.class)
                    .hasMessageContaining("publishing")
                    .hasMessageContaining("to tally-test." + run + " failed");
        }
    }

    @FunctionalInterface
    private interface JsmCall<T> {
        T apply(JetStreamManagement jsm) throws Exception;
    }
}
