package io.tally.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tally.Job;
import io.tally.JobState;
import io.tally.ReportPolicy;
import io.tally.Reporter;
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
}
