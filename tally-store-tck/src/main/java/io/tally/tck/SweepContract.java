package io.tally.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tally.FailureReason;
import io.tally.Job;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.SweepResult;
import io.tally.Tally;
import io.tally.store.SweepKind;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Heartbeat leases, execution deadlines and retention, enforced by {@code sweep()} with a controlled clock. */
public interface SweepContract extends StoreFixture {

    @Test
    default void aTallyBuiltWithSweepEveryEnforcesLeasesAndDeadlinesByItself() {
        Job stalled = tally().create(JobSpec.builder()
                .name("stalls")
                .start(true)
                .heartbeat(Duration.ofSeconds(30))
                .build());
        Job late = tally().create(JobSpec.builder()
                .name("late")
                .start(true)
                .timeout(Duration.ofMinutes(1))
                .build());
        Job fine = tally().create(JobSpec.builder()
                .name("fine")
                .start(true)
                .timeout(Duration.ofHours(1))
                .build());
        try (Tally sweeping = Tally.builder()
                .store(tally().storeSpi())
                .clock(clock())
                .closeStore(false)
                .sweepEvery(Duration.ofMillis(20))
                .build()) {
            clock().advance(Duration.ofMinutes(2));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(stalled.snapshot().error())
                        .hasValueSatisfying(e -> assertThat(e.reason()).isEqualTo(FailureReason.STALLED));
                assertThat(late.snapshot().error())
                        .hasValueSatisfying(e -> assertThat(e.reason()).isEqualTo(FailureReason.TIMEOUT));
            });
            assertThat(fine.snapshot().state()).isEqualTo(JobState.RUNNING);
        }
    }

    @Test
    default void aLapsedLeaseFailsTheJobAsStalled() {
        Job job = tally().create(JobSpec.builder()
                .name("worker")
                .start(true)
                .heartbeat(Duration.ofSeconds(30))
                .build());
        clock().advance(Duration.ofSeconds(29));
        assertThat(tally().sweep()).isEqualTo(new SweepResult(0, 0, 0));
        job.heartbeat();
        clock().advance(Duration.ofSeconds(29));
        assertThat(tally().sweep().stalled()).isZero();
        assertThat(job.snapshot().state()).isEqualTo(JobState.RUNNING);
        clock().advance(Duration.ofSeconds(2));
        assertThat(tally().sweep()).isEqualTo(new SweepResult(1, 0, 0));
        assertThat(job.snapshot().state()).isEqualTo(JobState.FAILED);
        assertThat(job.snapshot().error().orElseThrow().reason()).isEqualTo(FailureReason.STALLED);
        assertThat(tally().sweep()).isEqualTo(new SweepResult(0, 0, 0));
    }

    @Test
    default void progressRenewsTheLease() {
        Job job = tally().create(JobSpec.builder()
                .name("busy")
                .total(100)
                .start(true)
                .heartbeat(Duration.ofSeconds(10))
                .build());
        for (int i = 0; i < 5; i++) {
            clock().advance(Duration.ofSeconds(8));
            job.recordSuccess();
        }
        // The lease index moved too, not only the job's leaseUntil (the sweeper re-checks the latter, so a stale index
        // entry would not show in sweep()'s counts).
        assertThat(tally().storeSpi().sweepCandidates(SweepKind.STALLED, clock().instant(), 10))
                .isEmpty();
        assertThat(tally().sweep().stalled()).isZero();
        assertThat(job.snapshot().state()).isEqualTo(JobState.RUNNING);
    }

    @Test
    default void aPendingJobIsNeverStalled() {
        Job job = tally().create(JobSpec.builder()
                .name("queued")
                .heartbeat(Duration.ofSeconds(1))
                .build());
        clock().advance(Duration.ofHours(1));
        assertThat(tally().sweep().stalled()).isZero();
        assertThat(job.snapshot().state()).isEqualTo(JobState.PENDING);
    }

    @Test
    default void aJobPastItsDeadlineTimesOutEvenWhileHeartbeating() {
        Job job = tally().create(JobSpec.builder()
                .name("slow")
                .start(true)
                .timeout(Duration.ofMinutes(1))
                .heartbeat(Duration.ofSeconds(30))
                .build());
        for (int i = 0; i < 3; i++) {
            clock().advance(Duration.ofSeconds(25));
            job.heartbeat();
            tally().sweep();
        }
        JobState state = job.snapshot().state();
        assertThat(state).isEqualTo(JobState.FAILED);
        assertThat(job.snapshot().error().orElseThrow().reason()).isEqualTo(FailureReason.TIMEOUT);
    }

    @Test
    default void theDeadlineCountsFromTheStart() {
        Job job = tally().create(JobSpec.builder()
                .name("later")
                .timeout(Duration.ofSeconds(10))
                .build());
        clock().advance(Duration.ofMinutes(5));
        assertThat(tally().sweep().timedOut()).isZero();
        job.start();
        clock().advance(Duration.ofSeconds(9));
        assertThat(tally().sweep().timedOut()).isZero();
        clock().advance(Duration.ofSeconds(2));
        assertThat(tally().sweep()).isEqualTo(new SweepResult(0, 1, 0));
        assertThat(job.snapshot().error().orElseThrow().reason()).isEqualTo(FailureReason.TIMEOUT);
    }

    @Test
    default void aFinishedJobIsDeletedAfterItsRetention() {
        Job kept = tally().create(JobSpec.builder().name("kept").start(true).build());
        Job job = tally().create(JobSpec.builder()
                .name("temp")
                .start(true)
                .retainFor(Duration.ofHours(1))
                .build());
        clock().advance(Duration.ofHours(2));
        assertThat(tally().sweep().deleted())
                .as("retention counts from the finish")
                .isZero();
        job.finish("ok");
        kept.finish();
        assertThat(job.snapshot().retainUntil()).contains(clock().instant().plus(Duration.ofHours(1)));
        clock().advance(Duration.ofMinutes(59));
        assertThat(tally().sweep().deleted()).isZero();
        clock().advance(Duration.ofMinutes(2));
        assertThat(tally().sweep()).isEqualTo(new SweepResult(0, 0, 1));
        assertThat(tally().find(job.id())).isEmpty();
        assertThat(tally().find(kept.id())).isPresent();
    }

    @Test
    default void aFinishedJobIsNotFailedBySweeping() {
        Job job = tally().create(JobSpec.builder()
                .name("done")
                .start(true)
                .timeout(Duration.ofSeconds(5))
                .heartbeat(Duration.ofSeconds(5))
                .build());
        job.finish();
        clock().advance(Duration.ofMinutes(1));
        assertThat(tally().sweep()).isEqualTo(new SweepResult(0, 0, 0));
        assertThat(job.snapshot().state()).isEqualTo(JobState.SUCCEEDED);
    }

    @Test
    default void manyDueJobsAreAllSwept() {
        for (int i = 0; i < 1200; i++) {
            tally().create(JobSpec.builder()
                    .name("bulk")
                    .start(true)
                    .heartbeat(Duration.ofSeconds(1))
                    .build());
        }
        clock().advance(Duration.ofSeconds(5));
        assertThat(tally().sweep().stalled()).isEqualTo(1200);
        assertThat(tally().stats().get(JobState.FAILED)).isEqualTo(1200);
    }
}
