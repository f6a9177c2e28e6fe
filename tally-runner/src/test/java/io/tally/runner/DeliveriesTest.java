package io.tally.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The one redelivery policy of every dispatcher. */
class DeliveriesTest {
    private final AtomicInteger runs = new AtomicInteger();
    private final List<String> deadLettered = new ArrayList<>();

    private MessageHandler throwing(Exception e) {
        return new MessageHandler() {
            @Override
            public void handle(WorkMessage message) throws Exception {
                runs.incrementAndGet();
                throw e;
            }

            @Override
            public void deadLettered(WorkMessage message, String place, Exception cause) {
                deadLettered.add(Deliveries.reason(message, place, cause));
            }
        };
    }

    private static WorkMessage delivery(int n) {
        return WorkMessage.map("tiles", "job-1", 7).withAttempt(n);
    }

    @Test
    void aHandlerThatReturnsAcks() {
        assertThat(Deliveries.deliver(m -> runs.incrementAndGet(), delivery(1), 3))
                .isEqualTo(new Deliveries.Outcome(Deliveries.Verdict.ACK, null));
        assertThat(runs).hasValue(1);
    }

    @Test
    void aThrowingHandlerIsRetriedUntilItsLastDeliveryThenDeadLettered() {
        IllegalStateException boom = new IllegalStateException("boom");
        MessageHandler h = throwing(boom);

        assertThat(Deliveries.deliver(h, delivery(1), 3).verdict()).isEqualTo(Deliveries.Verdict.RETRY);
        assertThat(Deliveries.deliver(h, delivery(2), 3).verdict()).isEqualTo(Deliveries.Verdict.RETRY);
        Deliveries.Outcome last = Deliveries.deliver(h, delivery(3), 3);

        assertThat(last).isEqualTo(new Deliveries.Outcome(Deliveries.Verdict.DEAD_LETTER, boom));
        assertThat(runs).hasValue(3);
        Deliveries.deadLettered(h, delivery(3), "queue 'q.dead'", last.cause());
        assertThat(deadLettered)
                .containsExactly("part 7 of tiles job job-1 was dead-lettered to queue 'q.dead' after 3 deliveries:"
                        + " java.lang.IllegalStateException: boom");
    }

    @Test
    void aHandlerThatGaveUpIsDeadLetteredAtOnce() {
        DeadLetterException gaveUp = new DeadLetterException("part 7 failed on all 2 attempts");

        assertThat(Deliveries.deliver(throwing(gaveUp), delivery(2), 5))
                .isEqualTo(new Deliveries.Outcome(Deliveries.Verdict.DEAD_LETTER, gaveUp));
    }

    @Test
    void aMessageDeliveredMoreOftenThanTheLimitIsDeadLetteredWithoutRunning() {
        Deliveries.Outcome o = Deliveries.deliver(throwing(new IllegalStateException()), delivery(4), 3);

        assertThat(o.verdict()).isEqualTo(Deliveries.Verdict.DEAD_LETTER);
        assertThat(o.cause()).hasMessageContaining("delivered 4 times without an answer");
        assertThat(runs).hasValue(0);
    }

    @Test
    void aThrowingDeadLetterListenerIsLoggedNotThrown() {
        MessageHandler h = new MessageHandler() {
            @Override
            public void handle(WorkMessage message) {}

            @Override
            public void deadLettered(WorkMessage message, String place, Exception cause) {
                throw new IllegalStateException("store down");
            }
        };

        assertThatCode(() -> Deliveries.deadLettered(h, delivery(3), "queue 'q.dead'", new IllegalStateException()))
                .doesNotThrowAnyException();
    }
}
