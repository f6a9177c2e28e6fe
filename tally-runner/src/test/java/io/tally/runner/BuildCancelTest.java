package io.tally.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.JobState;
import io.tally.store.LogEntry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** A build whose job is cancelled elsewhere hears it, stops, and ends CANCELLED as an ordinary outcome. */
class BuildCancelTest extends RunnerTestSupport {

    @Test
    void aCancelledBuildIsInterruptedAndEndsCancelledWithNoErrorLogged() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean sawCancel = new AtomicBoolean();
        Runner runner = track(runner().cancelCheck(Duration.ofMillis(20))
                .define("slow", ctx -> {
                    started.countDown();
                    try {
                        new CountDownLatch(1).await(); // work that only an interrupt ends
                    } catch (InterruptedException e) {
                        sawCancel.set(ctx.cancelled());
                        throw e;
                    }
                    return "never";
                })
                .build());

        Build b = runner.build("slow");
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        tally.get(b.id()).cancel("not needed any more");

        assertThat(b.await(Duration.ofSeconds(10))).isTrue();
        assertThat(b.state()).isEqualTo(JobState.CANCELLED);
        assertThat(sawCancel).isTrue();
        assertThat(b.snapshot().orElseThrow().error().orElseThrow().message()).isEqualTo("not needed any more");
        List<LogEntry> logs = tally.get(b.id()).logs(0, 100);
        assertThat(logs).extracting(LogEntry::level).doesNotContain("ERROR", "WARN");
        assertThat(logs).extracting(LogEntry::message).contains("build cancelled");
    }

    @Test
    void aBuildThatOptsOutOfTheInterruptChecksCancelledAndIsNotInterrupted() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean(true);
        Runner runner = track(runner().cancelCheck(Duration.ofMillis(20))
                .define(
                        "careful",
                        ctx -> {
                            started.countDown();
                            while (!ctx.cancelled()) {
                                LockSupport.parkNanos(1_000_000); // a step of work
                            }
                            interrupted.set(Thread.currentThread().isInterrupted());
                            return "stopped early";
                        },
                        Definition.options().interruptOnCancel(false))
                .build());

        Build b = runner.build("careful");
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        tally.get(b.id()).cancel(null);

        assertThat(b.await(Duration.ofSeconds(10))).isTrue();
        assertThat(interrupted).isFalse();
        assertThat(b.state()).isEqualTo(JobState.CANCELLED);
        assertThat(b.snapshot().orElseThrow().resultJson())
                .as("a cancelled build stores no result")
                .isEmpty();
        assertThat(tally.get(b.id()).logs(0, 100)).extracting(LogEntry::level).doesNotContain("ERROR", "WARN");
    }

    @Test
    void theInterruptOfACancelDoesNotReachTheThreadAfterTheFunction() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean interruptedInCleanup = new AtomicBoolean(true);
        Runner runner = track(runner().cancelCheck(Duration.ofMillis(20))
                .define(
                        "ignores",
                        ctx -> {
                            started.countDown();
                            while (!Thread.currentThread().isInterrupted()) {
                                LockSupport.parkNanos(1_000_000);
                            }
                            return "done anyway"; // the interrupt is not consumed
                        },
                        Definition.options()
                                .cleanup(ctx -> interruptedInCleanup.set(
                                        Thread.currentThread().isInterrupted())))
                .build());

        Build b = runner.build("ignores");
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        tally.get(b.id()).cancel(null);

        assertThat(b.await(Duration.ofSeconds(10))).isTrue();
        assertThat(interruptedInCleanup).isFalse();
        assertThat(b.state()).isEqualTo(JobState.CANCELLED);
    }

    @Test
    void aCancelCheckShorterThanTenMillisIsRefused() {
        assertThatThrownBy(() -> runner().cancelCheck(Duration.ofMillis(5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cancelCheck");
    }
}
