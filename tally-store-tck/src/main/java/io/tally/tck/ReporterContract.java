package io.tally.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tally.Job;
import io.tally.JobFinishedException;
import io.tally.JobNotFoundException;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.ReportPolicy;
import io.tally.Reporter;
import io.tally.Tally;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Throttled {@code tick()} reporting: buffered, written by policy, never lost. */
public interface ReporterContract extends StoreFixture {

    @Test
    default void ticksAreBufferedUntilTheIntervalPassesAndThePercentMoves() {
        Job job = running(10_000);
        try (Reporter r = job.reporter(ReportPolicy.every(Duration.ofSeconds(2)))) {
            for (int i = 0; i < 1000; i++) {
                r.tick();
            }
            assertThat(r.poll()).isFalse();
            assertThat(job.progress().succeeded()).isZero();
            clock().advance(Duration.ofSeconds(2));
            assertThat(r.poll()).isTrue();
            assertThat(job.progress().succeeded()).isEqualTo(1000);
            assertThat(r.buffered()).isZero();
            r.tick(5); // 0.05 %: the percent does not move
            clock().advance(Duration.ofSeconds(10));
            assertThat(r.poll()).isFalse();
            r.tickFailure();
        }
        assertThat(job.progress().succeeded()).isEqualTo(1005);
        assertThat(job.progress().failed()).isEqualTo(1);
    }

    @Test
    default void theBackgroundThreadWritesWhenDue() {
        Job job = running(100);
        try (Reporter r = job.reporter(ReportPolicy.every(Duration.ofSeconds(2)))) {
            r.tick(50);
            clock().advance(Duration.ofSeconds(3));
            await().atMost(Duration.ofSeconds(10)).until(() -> job.progress().succeeded() == 50);
        }
    }

    @Test
    default void reportersOnOneJobAddUp() throws Exception {
        Job job = running(0);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(new Thread(() -> {
                try (Reporter r =
                        job.reporter(ReportPolicy.every(Duration.ofMillis(1)).percentStep(0))) {
                    for (int i = 0; i < 10_000; i++) {
                        r.tick();
                        if (i % 1000 == 0) {
                            clock().advance(Duration.ofMillis(1));
                            r.poll();
                        }
                    }
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        assertThat(job.progress().succeeded()).isEqualTo(40_000);
    }

    @Test
    default void finishingAJobWritesItsHandlesBufferedTicksFirst() {
        Job job = running(10);
        Reporter r = job.reporter(ReportPolicy.every(Duration.ofHours(1)));
        r.tick(7);
        job.finish();
        assertThat(job.snapshot().state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(job.snapshot().succeeded()).isEqualTo(7);
        r.close(); // nothing left to write
    }

    @Test
    default void aMessageIsSentWithTheNextWrite() {
        Job job = running(10);
        try (Reporter r = job.reporter()) {
            r.message("parsing file 3 of 10");
            r.flush();
        }
        assertThat(job.snapshot().message()).contains("parsing file 3 of 10");
    }

    /** @return another Tally on the same store, as another worker or the dashboard's server would have */
    private Tally elsewhere() {
        return Tally.builder()
                .store(tally().storeSpi())
                .clock(clock())
                .closeStore(false)
                .build();
    }

    @Test
    default void aCancelElsewhereIsHeardByATickingReporterWithinOneInterval() {
        Job job = running(1_000_000);
        try (Tally other = elsewhere()) {
            try (Reporter r = job.reporter(ReportPolicy.every(Duration.ofSeconds(2)))) {
                r.tick(10); // 0.001 %: the policy holds the write back
                clock().advance(Duration.ofSeconds(2));
                assertThat(r.poll()).isFalse(); // no write, but a look at the job's state
                assertThat(r.cancelled()).isFalse();
                other.get(job.id()).cancel("stop");
                r.tick(10);
                assertThat(r.poll()).isFalse();
                assertThat(r.cancelled())
                        .as("not asked again within the interval")
                        .isFalse();
                clock().advance(Duration.ofSeconds(2));
                r.poll();
                assertThat(r.cancelled()).isTrue();
                r.tick(5);
            } // close() drops what was buffered: no JobFinishedException
        }
        assertThat(job.snapshot().state()).isEqualTo(JobState.CANCELLED);
        assertThat(job.snapshot().succeeded()).isZero();
        assertThat(job.cancelled()).isTrue();
    }

    @Test
    default void aWriteRefusedAsCancelledIsHeardAndNothingIsThrown() {
        Job job = running(0);
        try (Tally other = elsewhere()) {
            Reporter r = job.reporter(ReportPolicy.every(Duration.ofSeconds(1)).percentStep(0));
            r.tick(3);
            other.get(job.id()).cancel(null);
            clock().advance(Duration.ofSeconds(1));
            assertThat(r.poll()).isFalse();
            assertThat(r.cancelled()).isTrue();
            assertThat(r.buffered()).isZero();
            r.tick();
            r.flush();
            r.close();
        }
        assertThat(job.snapshot().succeeded()).isZero();
    }

    @Test
    default void aReporterHeartbeatsAJobWithALeaseWhileItHoldsWritesBackAndHearsACancelSo() {
        Job job = tally().create(JobSpec.builder()
                .name("job")
                .total(1_000_000)
                .heartbeat(Duration.ofSeconds(10))
                .start(true)
                .build());
        try (Tally other = elsewhere();
                Reporter r = job.reporter(ReportPolicy.every(Duration.ofSeconds(2)))) {
            var leaseBefore = job.snapshot().lease().orElseThrow();
            r.tick();
            clock().advance(Duration.ofSeconds(2));
            r.poll();
            assertThat(job.snapshot().lease())
                    .hasValueSatisfying(l -> assertThat(l).isAfter(leaseBefore));
            assertThat(job.snapshot().succeeded())
                    .as("the tick is still held back")
                    .isZero();
            other.get(job.id()).cancel(null);
            clock().advance(Duration.ofSeconds(2));
            r.poll();
            assertThat(r.cancelled()).isTrue();
        }
    }

    @Test
    default void jobCancelledReadsTheStateUntilItLearnsOfTheCancel() {
        Job job = running(10);
        try (Tally other = elsewhere()) {
            assertThat(job.cancelled()).isFalse();
            other.get(job.id()).cancel(null);
            assertThat(job.cancelled()).isTrue();
            other.delete(job.id());
            assertThat(job.cancelled())
                    .as("a cancelled job stays so: not read again")
                    .isTrue();
        }
        Job gone = running(10);
        tally().delete(gone.id());
        assertThatThrownBy(gone::cancelled).isInstanceOf(JobNotFoundException.class);
    }

    @Test
    default void aJobFinishedElsewhereIsStillAnErrorForAReporterWithCounts() {
        Job job = running(0);
        Reporter r = job.reporter(ReportPolicy.every(Duration.ofHours(1)));
        try (Tally other = elsewhere()) {
            other.get(job.id()).finish();
        }
        r.tick(2);
        assertThatThrownBy(r::close).isInstanceOf(JobFinishedException.class);
        assertThat(r.cancelled()).isFalse();
    }
}
