package io.tally.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.tally.InvalidInputException;
import io.tally.Job;
import io.tally.JobFinishedException;
import io.tally.JobNotFoundException;
import io.tally.JobSnapshot;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.Progress;
import io.tally.store.ItemUpdate;
import io.tally.store.ProgressUpdate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Counters, keyed items, totals, percent, rate and ETA. */
public interface ProgressContract extends StoreFixture {

    @Test
    default void jobProgressReadmeExample() {
        Job job = tally().create(JobSpec.builder()
                .name("job")
                .metadata(Map.of("created_at", "2013-12-12"))
                .total(10)
                .start(true)
                .build());
        job.recordSuccess();
        job.recordFailure();
        Progress p = job.progress();
        assertThat(p.succeeded()).isEqualTo(1);
        assertThat(p.failed()).isEqualTo(1);
        assertThat(p.pending()).isEqualTo(8);
        assertThat(p.percent()).isEqualTo(20.0);
    }

    @Test
    default void itemsAreIdempotentByKey() {
        Job job = running(10);
        job.recordSuccess("a");
        job.recordSuccess("a");
        job.recordSuccess("a");
        job.recordFailure("b");
        job.recordFailure("b", "again");
        assertThat(job.progress().succeeded()).isEqualTo(1);
        assertThat(job.progress().failed()).isEqualTo(1);
        assertThat(job.items()).isEqualTo(Map.of(Outcome.SUCCESS, Set.of("a"), Outcome.FAILURE, Set.of("b")));
    }

    @Test
    default void recordAndSnapshotAnswersWithTheJobAsStoredAfterTheUpdate() {
        Job job = tally().create(JobSpec.builder()
                .name("shown")
                .scope("s")
                .metadata(Map.of("k", "v"))
                .total(10)
                .start(true)
                .build());
        JobSnapshot after = job.recordAndSnapshot(
                new ProgressUpdate(2, 1, List.of(new ItemUpdate("a", Outcome.FAILURE, "bad")), 5, "two of fifteen"));
        JobSnapshot read = job.snapshot();
        assertThat(after.succeeded()).isEqualTo(read.succeeded()).isEqualTo(2);
        assertThat(after.failed()).isEqualTo(read.failed()).isEqualTo(2);
        assertThat(after.total()).isEqualTo(15);
        assertThat(after.message()).contains("two of fifteen");
        assertThat(after.updatedAt()).isEqualTo(read.updatedAt());
        assertThat(after.metadata()).isEqualTo(Map.of("k", "v"));
        assertThat(after.scope()).contains("s");
        assertThat(after.state()).isEqualTo(JobState.RUNNING);

        job.finish();
        assertThatThrownBy(() -> job.recordAndSnapshot(ProgressUpdate.counts(1, 0)))
                .isInstanceOf(JobFinishedException.class);
        assertThat(job.snapshot().succeeded()).isEqualTo(2);
    }

    @Test
    default void anAsyncRecordAnswersAndRefusesAsTheBlockingOne() throws Exception {
        Job job = running(10);
        assertThat(job.recordSuccessAsync("a").get(10, TimeUnit.SECONDS).succeeded())
                .isEqualTo(1);
        assertThat(job.recordSuccessAsync("a").get(10, TimeUnit.SECONDS).succeeded())
                .isEqualTo(1);
        Progress p = job.recordFailureAsync("b", "why").get(10, TimeUnit.SECONDS);
        assertThat(p.failed()).isEqualTo(1);
        assertThat(p.pending()).isEqualTo(8);
        assertThat(job.recordSuccessAsync().get(10, TimeUnit.SECONDS).succeeded())
                .isEqualTo(2);
        p = job.recordAsync(new ProgressUpdate(0, 2, List.of(), 5, "half way")).get(10, TimeUnit.SECONDS);
        assertThat(p.failed()).isEqualTo(3);
        assertThat(p.total()).isEqualTo(15);
        assertThat(job.recordSuccessAsync("b").get(10, TimeUnit.SECONDS).failed())
                .isEqualTo(2);
        assertThat(job.items()).isEqualTo(Map.of(Outcome.SUCCESS, Set.of("a", "b"), Outcome.FAILURE, Set.of()));
        assertThat(job.snapshot().message()).contains("half way");

        // Input wrong on its face throws at once and sends nothing.
        assertThatThrownBy(() -> job.recordSuccessAsync(" ")).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> job.recordAsync(ProgressUpdate.counts(-1, 0)))
                .isInstanceOf(InvalidInputException.class);
        assertThat(job.progress().succeeded()).isEqualTo(3);

        // What only the store can find fails the future.
        Job withParts = tally().create(JobSpec.builder()
                .name("parts")
                .parts(List.of(Map.of(), Map.of()))
                .start(true)
                .build());
        assertThatThrownBy(() -> withParts.recordSuccessAsync("x").get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(InvalidInputException.class);
        job.finish("done");
        assertThatThrownBy(() -> job.recordSuccessAsync("c").get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(JobFinishedException.class);
        tally().delete(job.id());
        assertThatThrownBy(() -> job.recordSuccessAsync().get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(JobNotFoundException.class);
    }

    @Test
    default void aReRecordedItemMovesBetweenOutcomesAndCountsOnce() {
        Job job = running(5);
        job.recordFailure("retry-me", "timeout");
        assertThat(job.progress().failed()).isEqualTo(1);
        job.recordSuccess("retry-me");
        Progress p = job.progress();
        assertThat(p.succeeded()).isEqualTo(1);
        assertThat(p.failed()).isZero();
        assertThat(p.pending()).isEqualTo(4);
        assertThat(job.items().get(Outcome.SUCCESS)).containsExactly("retry-me");
        assertThat(job.items().get(Outcome.FAILURE)).isEmpty();
        job.recordFailure("retry-me");
        assertThat(job.progress().succeeded()).isZero();
        assertThat(job.progress().failed()).isEqualTo(1);
    }

    @Test
    default void failureReasonsAreKeptPerItem() {
        Job job = running(3);
        job.recordFailure("c", "reason");
        assertThat(job.items(Outcome.FAILURE, null, 10).items())
                .singleElement()
                .satisfies(i -> assertThat(i.reason()).isEqualTo("reason"));
    }

    @Test
    default void trackHelper() {
        Job job = running(10);
        job.track(true, "foo");
        job.track(false, "bar");
        assertThat(job.items()).isEqualTo(Map.of(Outcome.SUCCESS, Set.of("foo"), Outcome.FAILURE, Set.of("bar")));
    }

    @Test
    default void pendingIsNeverNegative() {
        Job job = running(2);
        job.record(ProgressUpdate.counts(3, 1));
        Progress p = job.progress();
        assertThat(p.succeeded()).isEqualTo(3);
        assertThat(p.failed()).isEqualTo(1);
        assertThat(p.pending()).isZero();
        assertThat(p.percent()).isEqualTo(100.0);
    }

    @Test
    default void theTotalMayGrow() {
        Job job = running(4);
        job.record(ProgressUpdate.counts(2, 0));
        assertThat(job.progress().percent()).isEqualTo(50.0);
        job.addTotal(4);
        Progress p = job.progress();
        assertThat(p.total()).isEqualTo(8);
        assertThat(p.pending()).isEqualTo(6);
        assertThat(p.percent()).isEqualTo(25.0);
    }

    @Test
    default void aBatchUpdateIsAppliedAsAWhole() {
        Job job = running(100);
        job.record(new ProgressUpdate(
                5,
                2,
                List.of(
                        new ItemUpdate("x", Outcome.SUCCESS, null),
                        new ItemUpdate("y", Outcome.FAILURE, "bad"),
                        new ItemUpdate("x", Outcome.SUCCESS, null)),
                10,
                "halfway"));
        Progress p = job.progress();
        assertThat(p.succeeded()).isEqualTo(6);
        assertThat(p.failed()).isEqualTo(3);
        assertThat(p.total()).isEqualTo(110);
        assertThat(job.snapshot().message()).contains("halfway");
    }

    @Test
    default void progressStartsAPendingJob() {
        Job job = tally().create(JobSpec.builder().name("lazy").total(3).build());
        clock().advance(Duration.ofSeconds(2));
        job.recordSuccess();
        assertThat(job.snapshot().state()).isEqualTo(JobState.RUNNING);
        assertThat(job.snapshot().startedAt()).contains(clock().instant());
    }

    @Test
    default void unknownTotalHasNoPercentAndNoEta() {
        Job job = running(0);
        job.record(ProgressUpdate.counts(50, 0));
        clock().advance(Duration.ofSeconds(5));
        job.record(ProgressUpdate.counts(50, 0));
        Progress p = job.progress();
        assertThat(p.percent()).isZero();
        assertThat(p.eta()).isEmpty();
        assertThat(p.rate()).isGreaterThan(0);
    }

    @Test
    default void rateAndEtaFollowTheRecentPace() {
        Job job = running(1000);
        // 10 units per second for 20 seconds.
        for (int s = 0; s < 20; s++) {
            clock().advance(Duration.ofSeconds(1));
            job.record(ProgressUpdate.counts(10, 0));
        }
        Progress fast = job.progress();
        assertThat(fast.rate()).isCloseTo(10.0, within(0.01));
        assertThat(fast.eta()).contains(Duration.ofSeconds(80)); // 800 pending at 10/s
        // It slows to 2 units per second: the smoothed rate follows within a few time constants.
        for (int s = 0; s < 60; s++) {
            clock().advance(Duration.ofSeconds(1));
            job.record(ProgressUpdate.counts(2, 0));
        }
        Progress slow = job.progress();
        assertThat(slow.rate()).isCloseTo(2.0, within(0.05));
        assertThat(slow.eta().orElseThrow().toSeconds()).isBetween(335L, 345L); // 680 pending at ~2/s
        // It stops: a read folds the idle time in, so the rate falls and the ETA grows.
        clock().advance(Duration.ofSeconds(8));
        Progress stalled = job.progress();
        assertThat(stalled.rate()).isLessThan(slow.rate() / 2);
        assertThat(stalled.eta().orElseThrow()).isGreaterThan(slow.eta().orElseThrow());
    }

    @Test
    default void burstsWithinOneMillisecondDoNotBreakTheRate() {
        Job job = running(100);
        for (int i = 0; i < 10; i++) {
            job.recordSuccess();
        }
        assertThat(job.progress().rate()).isZero();
        assertThat(job.progress().eta()).isEmpty();
        clock().advance(Duration.ofSeconds(2));
        assertThat(job.progress().rate()).isCloseTo(5.0, within(0.01));
    }

    @Test
    default void aFinishedJobHasNoEta() {
        Job job = running(10);
        clock().advance(Duration.ofSeconds(1));
        job.record(ProgressUpdate.counts(5, 0));
        job.finish();
        assertThat(job.progress().eta()).isEmpty();
        assertThat(job.progress().percent()).isEqualTo(100.0);
    }
}
