package io.tally;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.testing.MutableClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReporterTest {
    private final MutableClock clock = MutableClock.startingNow();
    private final FlakyStore flaky = new FlakyStore(clock);
    private final Tally tally = Tally.builder().store(flaky.store).clock(clock).build();

    @Test
    void tickNeverTouchesTheStore() {
        Job job = tally.create(
                JobSpec.builder().name("hot").total(1_000_000).start(true).build());
        try (Reporter r = job.reporter(ReportPolicy.every(Duration.ofSeconds(2)))) {
            int before = flaky.progressWrites.get();
            for (int i = 0; i < 500_000; i++) {
                r.tick();
            }
            assertThat(flaky.progressWrites.get()).isEqualTo(before);
            assertThat(r.buffered()).isEqualTo(500_000);
        }
        assertThat(job.progress().succeeded()).isEqualTo(500_000);
    }

    @Test
    void aFailedWriteKeepsTheCountsForTheNextOne() {
        Job job = tally.create(
                JobSpec.builder().name("outage").total(100).start(true).build());
        Reporter r = job.reporter(ReportPolicy.every(Duration.ofSeconds(1)));
        r.tick(30);
        r.tickFailure(2);
        flaky.down.set(true);
        clock.advance(Duration.ofSeconds(5));
        assertThatThrownBy(r::poll).isInstanceOf(StoreUnavailableException.class);
        assertThatThrownBy(r::flush).isInstanceOf(StoreUnavailableException.class);
        r.tick(10); // ticks keep counting during the outage
        assertThat(r.buffered()).isEqualTo(42);
        flaky.down.set(false);
        assertThat(r.poll()).isTrue();
        assertThat(job.progress().succeeded()).isEqualTo(40);
        assertThat(job.progress().failed()).isEqualTo(2);
        assertThat(r.buffered()).isZero();
        r.close();
    }

    @Test
    void closeDuringAnOutageThrowsAndKeepsTheCounts() {
        Job job = tally.create(
                JobSpec.builder().name("outage").total(10).start(true).build());
        Reporter r = job.reporter(ReportPolicy.every(Duration.ofSeconds(1)));
        r.tick(3);
        flaky.down.set(true);
        assertThatThrownBy(r::close).isInstanceOf(StoreUnavailableException.class);
        flaky.down.set(false);
        r.flush();
        assertThat(job.progress().succeeded()).isEqualTo(3);
    }

    @Test
    void anUnknownTotalWritesOnTheIntervalAlone() {
        Job job = tally.create(JobSpec.builder().name("open-ended").start(true).build());
        try (Reporter r = job.reporter(ReportPolicy.every(Duration.ofSeconds(2)))) {
            r.tick();
            assertThat(r.poll()).isFalse();
            clock.advance(Duration.ofSeconds(2));
            assertThat(r.poll()).isTrue();
            assertThat(r.poll()).as("nothing new to write").isFalse();
        }
    }

    @Test
    void badArgumentsAreRejected() {
        Job job = tally.create(JobSpec.builder().name("x").start(true).build());
        try (Reporter r = job.reporter()) {
            assertThatThrownBy(() -> r.tick(-1)).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> r.tickFailure(-1)).isInstanceOf(InvalidInputException.class);
        }
        assertThatThrownBy(() -> ReportPolicy.every(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("interval must be positive, was PT0S");
        assertThatThrownBy(() -> ReportPolicy.every(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("interval");
        assertThatThrownBy(() -> ReportPolicy.defaults().percentStep(101))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("percentStep must be between 0 and 100, was 101.0");
        assertThatThrownBy(() -> ReportPolicy.defaults().percentStep(Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
        job.finish();
        assertThatThrownBy(job::reporter).isInstanceOf(JobFinishedException.class);
    }
}
