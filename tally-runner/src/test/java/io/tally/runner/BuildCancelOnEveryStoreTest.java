package io.tally.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.JobState;
import io.tally.Tally;
import io.tally.store.LogEntry;
import io.tally.testing.TestServices;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A build cancelled through another {@code Tally} on the same store (as the dashboard or another process would) hears
 * it on every store: its thread is interrupted, {@code ctx.cancelled()} is true, and it ends CANCELLED with nothing
 * logged at WARN or ERROR.
 */
class BuildCancelOnEveryStoreTest {
    private final String unique =
            "bc" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql", "mariadb", "redis"})
    void aBuildCancelledFromAnotherTallyEndsCancelledWithNoErrorLogged(String store) throws Exception {
        String url = TestServices.isolatedUrl(store, dir, unique);
        try (Tally tally = Tally.open(url);
                Tally other = Tally.open(url)) {
            CountDownLatch started = new CountDownLatch(1);
            AtomicBoolean sawCancel = new AtomicBoolean();
            try (Runner runner = Runner.builder(tally)
                    .cancelCheck(Duration.ofMillis(20))
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
                    .build()) {
                Build b = runner.build("slow");
                assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

                other.get(b.id()).cancel("not needed any more");

                assertThat(b.await(Duration.ofSeconds(10))).isTrue();
                assertThat(b.state()).isEqualTo(JobState.CANCELLED);
                assertThat(sawCancel).isTrue();
                List<LogEntry> logs = tally.get(b.id()).logs(0, 100);
                assertThat(logs).extracting(LogEntry::level).doesNotContain("ERROR", "WARN");
                assertThat(logs).extracting(LogEntry::message).contains("build cancelled");
                tally.delete(b.id());
            }
        } finally {
            TestServices.dropIsolated(store, unique);
        }
    }
}
