package io.tally.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tally.Job;
import io.tally.JobFinishedException;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.Tally;
import io.tally.store.ProgressUpdate;
import io.tally.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every meter of {@link TallyMetrics} read back with exact values from a {@link SimpleMeterRegistry}, on a real store:
 * each store module's test extends this and says how to open the store.
 */
abstract class TallyMetricsContract {
    @TempDir
    Path dir;

    final MutableClock clock = MutableClock.startingNow();
    final MockClock meterClock = new MockClock();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    TallyMetrics metrics;
    Tally tally;

    /** @return the URL of a new, empty store in {@code dir} */
    abstract String storeUrl(Path dir);

    @BeforeEach
    void open() {
        metrics = TallyMetrics.builder().stateCountsMaxAge(Duration.ZERO).build();
        tally = Tally.builder()
                .url(storeUrl(dir))
                .clock(clock)
                .instrumentation(metrics)
                .build();
        metrics.bindTo(registry);
    }

    @AfterEach
    void close() {
        tally.close();
        registry.close();
    }

    @Test
    void recordsCountTheUnitsTheStoreAccepted() {
        Job job = tally.create(JobSpec.builder().name("import").start(true).build());
        job.recordSuccess();
        job.recordSuccess();
        job.recordFailure();
        job.record(ProgressUpdate.counts(5, 2));
        job.recordSuccess("a");
        job.recordFailure("b", "broken");

        assertThat(counter("tally.records", "outcome", "succeeded")).isEqualTo(8);
        assertThat(counter("tally.records", "outcome", "failed")).isEqualTo(4);

        job.finish();
        assertThatThrownBy(job::recordSuccess).isInstanceOf(JobFinishedException.class);
        assertThat(counter("tally.records", "outcome", "succeeded"))
                .as("a record refused on a finished job wrote nothing")
                .isEqualTo(8);
    }

    @Test
    void asyncRecordsAreCountedWhenTheirAnswerArrives() {
        Job job = tally.create(JobSpec.builder().name("async").build());
        List<CompletableFuture<?>> calls = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            calls.add(job.recordSuccessAsync());
        }
        calls.add(job.recordFailureAsync("x", "bad"));
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();

        assertThat(counter("tally.records", "outcome", "succeeded")).isEqualTo(50);
        assertThat(counter("tally.records", "outcome", "failed")).isEqualTo(1);
    }

    @Test
    void partsCountChangesOnlyAndTheSettleOnce() {
        Job job = tally.create(JobSpec.builder().name("map").parts(payloads(4)).build());
        String id = job.id();
        clock.advance(Duration.ofSeconds(1));

        tally.completePart(id, 0);
        tally.completePart(id, 0); // a duplicate: changes nothing
        tally.failPart(id, 1, "flaky", false);
        tally.failPart(id, 1, "flaky", false); // a duplicate
        assertThat(counter("tally.parts", "outcome", "succeeded")).isEqualTo(1);
        assertThat(counter("tally.parts", "outcome", "failed")).isEqualTo(1);

        tally.completePart(id, 1); // the retry moves the part
        clock.advance(Duration.ofSeconds(4));
        assertThat(tally.completeParts(id, 2, 3).last()).isTrue();
        tally.completeParts(id, 2, 3); // a redelivery after the settle
        tally.completePartAsync(id, 3).join();

        assertThat(counter("tally.parts", "outcome", "succeeded")).isEqualTo(4);
        assertThat(counter("tally.parts", "outcome", "failed")).isEqualTo(1);
        assertThat(counter("tally.settles")).isEqualTo(1);
        // The settled job is read for its duration on the metrics thread.
        await().atMost(Duration.ofSeconds(10))
                .until(() -> timer(JobState.SUCCEEDED).count() == 1);
        assertThat(timer(JobState.SUCCEEDED).totalTime(TimeUnit.MILLISECONDS)).isEqualTo(4000);
    }

    @Test
    void aPartThatFailsItsJobIsTimedAsFailed() {
        Job job = tally.create(JobSpec.builder().name("map").parts(payloads(2)).build());
        tally.completePart(job.id(), 0);
        clock.advance(Duration.ofMillis(1500));
        tally.failPart(job.id(), 1, "fatal", true);
        tally.failPart(job.id(), 1, "fatal", true); // a redelivery on the failed job

        assertThat(counter("tally.parts", "outcome", "failed")).isEqualTo(1);
        assertThat(counter("tally.settles")).isZero();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> timer(JobState.FAILED).count() == 1);
        assertThat(timer(JobState.FAILED).totalTime(TimeUnit.MILLISECONDS)).isEqualTo(1500);
    }

    @Test
    void bindingTwiceToOneRegistryCountsOnce() {
        metrics.bindTo(registry);
        Job job = tally.create(JobSpec.builder().name("a").start(true).build());
        clock.advance(Duration.ofSeconds(1));
        job.finish();

        assertThat(timer(JobState.SUCCEEDED).count()).isEqualTo(1);
        assertThat(registry.find("tally.jobs").gauges()).hasSize(JobState.values().length);
    }

    @Test
    void durationsOfTheJobsThisProcessFinished() {
        Job done = tally.create(JobSpec.builder().name("a").start(true).build());
        Job failed = tally.create(JobSpec.builder().name("b").build());
        Job neverStarted = tally.create(JobSpec.builder().name("c").build());
        failed.start();
        clock.advance(Duration.ofSeconds(3));
        done.finish();
        done.finish(); // the same transition again: a no-op
        clock.advance(Duration.ofSeconds(2));
        failed.fail("boom");
        neverStarted.cancel("not needed");

        assertThat(timer(JobState.SUCCEEDED).count()).isEqualTo(1);
        assertThat(timer(JobState.SUCCEEDED).totalTime(TimeUnit.SECONDS)).isEqualTo(3);
        assertThat(timer(JobState.FAILED).count()).isEqualTo(1);
        assertThat(timer(JobState.FAILED).totalTime(TimeUnit.SECONDS)).isEqualTo(5);
        assertThat(timer(JobState.CANCELLED).count())
                .as("a job that never started has no duration")
                .isZero();
    }

    @Test
    void sweepsCountTheJobsTheyEnforcedByKind() {
        Job stalled = tally.create(JobSpec.builder()
                .name("stalls")
                .start(true)
                .heartbeat(Duration.ofSeconds(10))
                .build());
        Job late = tally.create(JobSpec.builder()
                .name("late")
                .start(true)
                .timeout(Duration.ofSeconds(20))
                .build());
        Job alive = tally.create(JobSpec.builder()
                .name("alive")
                .start(true)
                .heartbeat(Duration.ofSeconds(10))
                .build());
        tally.create(JobSpec.builder()
                        .name("kept")
                        .start(true)
                        .retainFor(Duration.ofSeconds(5))
                        .build())
                .finish();

        clock.advance(Duration.ofSeconds(9));
        alive.heartbeat();
        clock.advance(Duration.ofSeconds(12));
        alive.heartbeat();
        assertThat(tally.sweep().total()).isEqualTo(3);
        assertThat(tally.sweep().total()).isZero();

        assertThat(counter("tally.sweeps", "kind", "stalled")).isEqualTo(1);
        assertThat(counter("tally.sweeps", "kind", "timeout")).isEqualTo(1);
        assertThat(counter("tally.sweeps", "kind", "retention")).isEqualTo(1);
        assertThat(timer(JobState.FAILED).count()).isEqualTo(2);
        assertThat(timer(JobState.FAILED).totalTime(TimeUnit.SECONDS)).isEqualTo(42);
        assertThat(stalled.snapshot().state()).isEqualTo(JobState.FAILED);
        assertThat(late.snapshot().state()).isEqualTo(JobState.FAILED);
    }

    @Test
    void jobsGaugesShowTheStoreByState() {
        tally.create(JobSpec.builder().name("p").build());
        tally.create(JobSpec.builder().name("p").build());
        tally.create(JobSpec.builder().name("r").start(true).build());
        tally.create(JobSpec.builder().name("s").start(true).build()).finish();
        tally.create(JobSpec.builder().name("c").build()).cancel("no");

        assertThat(gauge(JobState.PENDING)).isEqualTo(2);
        assertThat(gauge(JobState.RUNNING)).isEqualTo(1);
        assertThat(gauge(JobState.SUCCEEDED)).isEqualTo(1);
        assertThat(gauge(JobState.CANCELLED)).isEqualTo(1);
        assertThat(gauge(JobState.FAILED)).isZero();
        assertThat(gauge(JobState.SKIPPED)).isZero();
    }

    @Test
    void oneReadOfTheStoreServesTheGaugesForTheirMaxAge() {
        TallyMetrics cached = TallyMetrics.builder()
                .stateCountsMaxAge(Duration.ofSeconds(5))
                .clock(meterClock)
                .build();
        SimpleMeterRegistry other = new SimpleMeterRegistry();
        try (Tally t = Tally.builder()
                .url(storeUrl(dir.resolve("cached")))
                .instrumentation(cached)
                .build()) {
            cached.bindTo(other);
            t.create(JobSpec.builder().name("a").build());
            assertThat(other.get("tally.jobs").tag("state", "PENDING").gauge().value())
                    .isEqualTo(1);

            t.create(JobSpec.builder().name("b").start(true).build());
            meterClock.add(Duration.ofMillis(4999));
            assertThat(other.get("tally.jobs").tag("state", "RUNNING").gauge().value())
                    .as("the answer read for PENDING serves RUNNING too: a scrape is one query")
                    .isZero();

            meterClock.add(Duration.ofMillis(1));
            assertThat(other.get("tally.jobs").tag("state", "RUNNING").gauge().value())
                    .isEqualTo(1);
        } finally {
            other.close();
        }
    }

    @Test
    void concurrentWritersAreCountedExactly() throws Exception {
        int threads = 8;
        int perThread = 250;
        int parts = threads * perThread / 2;
        Job counted = tally.create(JobSpec.builder().name("ticks").start(true).build());
        Job map = tally.create(
                JobSpec.builder().name("map").parts(payloads(parts)).build());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        counted.recordSuccess();
                        // Every part is completed by two threads: one of each pair is a redelivery.
                        tally.completePart(map.id(), (thread * perThread + i) % parts);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(2, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(counter("tally.records", "outcome", "succeeded")).isEqualTo(threads * perThread);
        assertThat(counter("tally.parts", "outcome", "succeeded")).isEqualTo(parts);
        assertThat(counter("tally.settles")).isEqualTo(1);
        assertThat(map.snapshot().state()).isEqualTo(JobState.SUCCEEDED);
    }

    @Test
    void writesBeforeTheRegistryIsBoundAreCounted() {
        TallyMetrics late = new TallyMetrics();
        SimpleMeterRegistry other = new SimpleMeterRegistry();
        try (Tally t = Tally.builder()
                .url(storeUrl(dir.resolve("late")))
                .instrumentation(late)
                .build()) {
            t.create(JobSpec.builder().name("a").build()).recordSuccess();
            late.bindTo(other);
            assertThat(other.get("tally.records")
                            .tag("outcome", "succeeded")
                            .functionCounter()
                            .count())
                    .isEqualTo(1);
        } finally {
            other.close();
        }
    }

    @Test
    void oneTallyPerTallyMetrics() {
        assertThatThrownBy(() -> Tally.builder()
                        .url(storeUrl(dir.resolve("second")))
                        .instrumentation(metrics)
                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("one Tally");
    }

    @Test
    void jobsOnlyShowsTheGaugesOfATallyBuiltWithoutIt() {
        SimpleMeterRegistry other = new SimpleMeterRegistry();
        try (Tally plain = Tally.builder().url(storeUrl(dir.resolve("plain"))).build()) {
            plain.create(JobSpec.builder().name("a").start(true).build()).recordSuccess();
            TallyMetrics.jobsOnly(plain).bindTo(other);

            assertThat(other.get("tally.jobs").tag("state", "RUNNING").gauge().value())
                    .isEqualTo(1);
            assertThat(other.find("tally.records").meters())
                    .as("writes that pass no decorator cannot be counted")
                    .isEmpty();
        } finally {
            other.close();
        }
    }

    @Test
    void everyMeterIsRegisteredWithItsTags() {
        assertThat(registry.find("tally.jobs").gauges()).hasSize(JobState.values().length);
        assertThat(registry.find("tally.records").functionCounters()).hasSize(2);
        assertThat(registry.find("tally.parts").functionCounters()).hasSize(2);
        assertThat(registry.find("tally.settles").functionCounters()).hasSize(1);
        assertThat(registry.find("tally.sweeps").functionCounters())
                .extracting(m -> m.getId().getTag("kind"))
                .containsExactlyInAnyOrder("stalled", "timeout", "retention");
        assertThat(registry.find("tally.job.duration").timers())
                .extracting(m -> m.getId().getTag("state"))
                .containsExactlyInAnyOrderElementsOf(IntStream.range(0, JobState.values().length)
                        .mapToObj(i -> JobState.values()[i])
                        .filter(JobState::isTerminal)
                        .map(Enum::name)
                        .toList());
    }

    static List<Object> payloads(int n) {
        return IntStream.range(0, n).<Object>mapToObj(i -> Map.of("n", i)).toList();
    }

    double counter(String name, String... tags) {
        return registry.get(name).tags(tags).functionCounter().count();
    }

    Timer timer(JobState state) {
        return registry.get("tally.job.duration").tag("state", state.name()).timer();
    }

    double gauge(JobState state) {
        return registry.get("tally.jobs").tag("state", state.name()).gauge().value();
    }
}
