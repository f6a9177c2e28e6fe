package io.tally.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.FailureReason;
import io.tally.IllegalTransitionException;
import io.tally.Job;
import io.tally.JobExistsException;
import io.tally.JobFinishedException;
import io.tally.JobNotFoundException;
import io.tally.JobSnapshot;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.Progress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Creation, reads, the transition table, results and errors. */
public interface LifecycleContract extends StoreFixture {

    @Test
    default void createStoresEveryField() {
        Job job = tally().create(JobSpec.builder()
                .name("import")
                .scope("user:3421")
                .total(10)
                .metadata(Map.of("created_at", "2013-12-12", "n", 3))
                .message("queued")
                .timeout(Duration.ofMinutes(5))
                .heartbeat(Duration.ofSeconds(30))
                .retainFor(Duration.ofDays(1))
                .build());
        JobSnapshot s = job.snapshot();
        assertThat(s.id()).isEqualTo(job.id());
        assertThat(s.name()).isEqualTo("import");
        assertThat(s.scope()).contains("user:3421");
        assertThat(s.parent()).isEmpty();
        assertThat(s.metadata()).containsEntry("created_at", "2013-12-12").containsEntry("n", 3);
        assertThat(s.state()).isEqualTo(JobState.PENDING);
        assertThat(s.total()).isEqualTo(10);
        assertThat(s.pending()).isEqualTo(10);
        assertThat(s.message()).contains("queued");
        assertThat(s.createdAt()).isEqualTo(clock().instant());
        assertThat(s.updatedAt()).isEqualTo(clock().instant());
        assertThat(s.startedAt()).isEmpty();
        assertThat(s.finishedAt()).isEmpty();
        assertThat(s.timeout()).contains(Duration.ofMinutes(5));
        assertThat(s.heartbeat()).contains(Duration.ofSeconds(30));
        assertThat(s.retainFor()).contains(Duration.ofDays(1));
        assertThat(s.deadline()).isEmpty();
        assertThat(s.lease()).isEmpty();
        assertThat(s.result()).isEmpty();
        assertThat(s.error()).isEmpty();
    }

    @Test
    default void generatedIdsAreTimeOrderedUuidV7() {
        Job a = tally().create(JobSpec.builder().name("a").build());
        clock().advance(Duration.ofMillis(1));
        Job b = tally().create(JobSpec.builder().name("b").build());
        assertThat(a.id()).matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        assertThat(a.id()).isLessThan(b.id());
    }

    @Test
    default void createWithStartIsRunningWithDeadlineAndLease() {
        Job job = tally().create(JobSpec.builder()
                .name("run")
                .start(true)
                .timeout(Duration.ofMinutes(1))
                .heartbeat(Duration.ofSeconds(10))
                .build());
        JobSnapshot s = job.snapshot();
        assertThat(s.state()).isEqualTo(JobState.RUNNING);
        assertThat(s.startedAt()).contains(clock().instant());
        assertThat(s.deadline()).contains(clock().instant().plus(Duration.ofMinutes(1)));
        assertThat(s.lease()).contains(clock().instant().plusSeconds(10));
    }

    @Test
    default void callerGivenIdIsKeptAndCannotBeReused() {
        Job job = tally().create(JobSpec.builder().id("my-job.1:a_b").name("x").build());
        assertThat(job.id()).isEqualTo("my-job.1:a_b");
        assertThatThrownBy(() -> tally().create(JobSpec.builder()
                        .id("my-job.1:a_b")
                        .name("other")
                        .build()))
                .isInstanceOf(JobExistsException.class);
        assertThat(tally().get("my-job.1:a_b").snapshot().name()).isEqualTo("x");
    }

    @Test
    default void unknownIdsAreNotFound() {
        assertThat(tally().find("nope")).isEmpty();
        assertThatThrownBy(() -> tally().get("nope"))
                .isInstanceOf(JobNotFoundException.class)
                .hasMessageContaining("nope");
        Job ghost = tally().create(JobSpec.builder().name("ghost").build());
        tally().delete(ghost.id());
        assertThatThrownBy(ghost::recordSuccess).isInstanceOf(JobNotFoundException.class);
        assertThatThrownBy(ghost::start).isInstanceOf(JobNotFoundException.class);
        assertThatThrownBy(ghost::heartbeat).isInstanceOf(JobNotFoundException.class);
        assertThatThrownBy(() -> tally().completePart(ghost.id(), 0)).isInstanceOf(JobNotFoundException.class);
    }

    @Test
    default void everyTransitionFollowsTheTable() {
        for (JobState from : JobState.values()) {
            for (JobState to : JobState.values()) {
                if (to == JobState.PENDING) {
                    continue; // no operation moves a job back to PENDING
                }
                Job job = jobIn(from);
                JobSnapshot before = job.snapshot();
                if (from == to) {
                    assertThat(move(job, to).state())
                            .as("%s again is a no-op", to)
                            .isEqualTo(from);
                    assertThat(job.snapshot().updatedAt()).isEqualTo(before.updatedAt());
                } else if (JobState.canTransition(from, to)) {
                    assertThat(move(job, to).state()).as("%s -> %s", from, to).isEqualTo(to);
                    assertThat(job.snapshot().state()).isEqualTo(to);
                } else {
                    assertThatThrownBy(() -> move(job, to))
                            .as("%s -> %s", from, to)
                            .isInstanceOfSatisfying(IllegalTransitionException.class, e -> {
                                assertThat(e.from()).isEqualTo(from);
                                assertThat(e.to()).isEqualTo(to);
                                assertThat(e.getMessage()).contains(from.name(), to.name());
                            });
                    assertThat(job.snapshot().state()).isEqualTo(from);
                }
            }
        }
    }

    private Job jobIn(JobState state) {
        Job job = tally().create(JobSpec.builder().name("t").total(3).build());
        if (state != JobState.PENDING) {
            if (state == JobState.SUCCEEDED) {
                job.start();
            }
            move(job, state);
        }
        return job;
    }

    private static JobSnapshot move(Job job, JobState to) {
        return switch (to) {
            case PENDING -> throw new IllegalArgumentException();
            case RUNNING -> job.start();
            case SUCCEEDED -> job.finish();
            case FAILED -> job.fail("boom");
            case CANCELLED -> job.cancel("no longer needed");
            case SKIPPED -> job.skip();
        };
    }

    @Test
    default void finishStoresTheResultAndTimes() {
        Job job = running(2);
        clock().advance(Duration.ofSeconds(3));
        JobSnapshot s = job.finish(Map.of("rows", 42, "files", List.of("a", "b")));
        assertThat(s.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(s.finishedAt()).contains(clock().instant());
        assertThat(job.snapshot().result().orElseThrow().get("rows").asInt()).isEqualTo(42);
        assertThat(job.snapshot().result(Map.class).orElseThrow()).containsEntry("files", List.of("a", "b"));
        assertThat(job.snapshot().progress().percent()).isEqualTo(100.0);
        assertThat(job.snapshot().deadline()).isEmpty();
    }

    @Test
    default void finishingAgainWithTheSameResultIsANoOpAndWithAnotherIsRefused() {
        Job job = running(0);
        job.finish(Map.of("rows", 42));
        var finishedAt = job.snapshot().finishedAt();
        assertThat(job.finish(Map.of("rows", 42)).state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(job.snapshot().finishedAt()).as("unchanged").isEqualTo(finishedAt);
        assertThatThrownBy(() -> job.finish(Map.of("rows", 43)))
                .isInstanceOfSatisfying(IllegalTransitionException.class, e -> {
                    assertThat(e.from()).isEqualTo(JobState.SUCCEEDED);
                    assertThat(e.to()).isEqualTo(JobState.SUCCEEDED);
                })
                .hasMessageContaining("different result");
        assertThatThrownBy(job::finish).isInstanceOf(IllegalTransitionException.class);
        assertThat(job.snapshot().result(Map.class)).contains(Map.of("rows", 42));
    }

    @Test
    default void failingAgainWithTheSameErrorIsANoOpAndWithAnotherIsRefused() {
        Job job = running(0);
        job.fail("disk full");
        assertThat(job.fail("disk full").state()).isEqualTo(JobState.FAILED);
        assertThatThrownBy(() -> job.fail("out of memory"))
                .isInstanceOf(IllegalTransitionException.class)
                .hasMessageContaining("different error");
        assertThat(job.snapshot().error().orElseThrow().message()).isEqualTo("disk full");
    }

    @Test
    default void cancellingACancelledJobAgainIsANoOpWhateverTheReason() {
        Job job = running(0);
        job.cancel("user asked");
        assertThat(job.cancel("someone else asked").state()).isEqualTo(JobState.CANCELLED);
        assertThat(job.snapshot().error().orElseThrow().message())
                .as("the first stands")
                .isEqualTo("user asked");
        assertThatThrownBy(job::skip).isInstanceOf(IllegalTransitionException.class);
    }

    @Test
    default void failWithExceptionStoresTypeMessageAndStack() {
        Job job = running(0);
        job.fail(new IllegalStateException("disk full"));
        JobSnapshot s = job.snapshot();
        assertThat(s.state()).isEqualTo(JobState.FAILED);
        assertThat(s.error().orElseThrow().message()).isEqualTo("disk full");
        assertThat(s.error().orElseThrow().exceptionType()).contains(IllegalStateException.class.getName());
        assertThat(s.error().orElseThrow().stackText().orElseThrow()).contains("disk full", "at ");
        assertThat(s.error().orElseThrow().reason()).isEqualTo(FailureReason.ERROR);
    }

    @Test
    default void cancelStoresTheReason() {
        Job job = tally().create(JobSpec.builder().name("c").build());
        JobSnapshot s = job.cancel("user asked");
        assertThat(s.state()).isEqualTo(JobState.CANCELLED);
        assertThat(s.error().orElseThrow().reason()).isEqualTo(FailureReason.CANCELLED);
        assertThat(s.error().orElseThrow().message()).isEqualTo("user asked");
    }

    @Test
    default void progressOnAFinishedJobIsRejectedAndChangesNothing() {
        Job job = running(10);
        job.recordSuccess();
        job.finish();
        JobSnapshot before = job.snapshot();
        clock().advance(Duration.ofSeconds(1));
        assertThatThrownBy(job::recordSuccess)
                .isInstanceOfSatisfying(
                        JobFinishedException.class, e -> assertThat(e.state()).isEqualTo(JobState.SUCCEEDED));
        assertThatThrownBy(() -> job.recordFailure("x")).isInstanceOf(JobFinishedException.class);
        assertThatThrownBy(() -> job.addTotal(1)).isInstanceOf(JobFinishedException.class);
        assertThatThrownBy(job::heartbeat).isInstanceOf(JobFinishedException.class);
        JobSnapshot after = job.snapshot();
        assertThat(after.succeeded()).isEqualTo(1);
        assertThat(after.total()).isEqualTo(10);
        assertThat(after.updatedAt()).isEqualTo(before.updatedAt());
        assertThat(job.items().values()).allMatch(java.util.Set::isEmpty);
    }

    @Test
    default void heartbeatRenewsTheLease() {
        Job job = tally().create(JobSpec.builder()
                .name("hb")
                .start(true)
                .heartbeat(Duration.ofSeconds(30))
                .build());
        clock().advance(Duration.ofSeconds(20));
        JobSnapshot s = job.heartbeat();
        assertThat(s.lease()).contains(clock().instant().plusSeconds(30));
    }

    @Test
    default void deleteRemovesTheJob() {
        Job job = running(3);
        job.recordSuccess("a");
        assertThat(tally().delete(job.id())).isTrue();
        assertThat(tally().find(job.id())).isEmpty();
        assertThat(tally().delete(job.id())).isFalse();
    }

    @Test
    default void aParentRollsUpItsDescendants() {
        Job parent = tally().create(
                        JobSpec.builder().name("parent").total(1).start(true).build());
        Job a = tally().create(JobSpec.builder()
                .name("a")
                .parent(parent.id())
                .total(10)
                .start(true)
                .build());
        Job b = tally().create(JobSpec.builder()
                .name("b")
                .parent(parent.id())
                .total(5)
                .start(true)
                .build());
        Job grandchild = tally().create(JobSpec.builder()
                .name("g")
                .parent(a.id())
                .total(4)
                .start(true)
                .build());
        parent.recordSuccess();
        a.recordSuccess();
        a.recordFailure();
        b.record(io.tally.store.ProgressUpdate.counts(5, 0));
        grandchild.recordSuccess();
        Progress rollup = parent.snapshot().rollup();
        assertThat(rollup.total()).isEqualTo(1 + 10 + 5 + 4);
        assertThat(rollup.succeeded()).isEqualTo(1 + 1 + 5 + 1);
        assertThat(rollup.failed()).isEqualTo(1);
        assertThat(rollup.pending()).isEqualTo(20 - 9);
        assertThat(parent.snapshot().progress().total()).isEqualTo(1);
        assertThat(grandchild.snapshot().rollup().total()).isEqualTo(4);
    }

    @Test
    default void theStoreSumsASubtreeInOneStepByStateWithTheRunningJobsRates() {
        Job root = tally().create(JobSpec.builder().name("root").total(2).build());
        Job running = tally().create(JobSpec.builder()
                .name("r")
                .parent(root.id())
                .total(10)
                .start(true)
                .build());
        Job done = tally().create(
                        JobSpec.builder().name("d").parent(root.id()).total(3).build());
        Job deep = tally().create(JobSpec.builder()
                .name("g")
                .parent(running.id())
                .total(4)
                .start(true)
                .build());
        Job gone = tally().create(
                        JobSpec.builder().name("x").parent(root.id()).total(100).build());
        Job other = tally().create(
                        JobSpec.builder().name("not in the tree").total(1000).build());
        running.recordSuccess();
        running.recordFailure();
        done.record(io.tally.store.ProgressUpdate.counts(3, 0));
        done.finish();
        deep.recordSuccess();
        tally().delete(gone.id());

        io.tally.store.JobStats s = tally().storeSpi().stats(root.id());

        assertThat(s.byState())
                .containsEntry(JobState.PENDING, 1L)
                .containsEntry(JobState.RUNNING, 2L)
                .containsEntry(JobState.SUCCEEDED, 1L)
                .containsEntry(JobState.FAILED, 0L);
        assertThat(s.total()).isEqualTo(2 + 10 + 3 + 4);
        assertThat(s.succeeded()).isEqualTo(1 + 3 + 1);
        assertThat(s.failed()).isEqualTo(1);
        assertThat(s.running())
                .hasSize(2)
                .allSatisfy(r -> assertThat(r.rateAt()).isNotNull());
        assertThat(tally().storeSpi().stats(deep.id()).total()).isEqualTo(4);
        assertThat(tally().storeSpi().stats("no-such-job")).isEqualTo(io.tally.store.JobStats.none());
        assertThat(tally().storeSpi().stats(null).byState()).isEqualTo(tally().stats());
        assertThat(other.snapshot().rollup().total()).isEqualTo(1000);
    }

    /**
     * Ids can be chosen, so a deleted parent's id can come back as a child of its own former child: the parent links
     * then make a cycle. A roll-up walks each job once instead of going round it for ever (on Redis that would hold
     * the server itself).
     */
    @Test
    default void aCycleOfParentsThroughAReusedIdIsSummedOnce() {
        Job a = tally().create(
                        JobSpec.builder().id("cycle-a").name("a").total(1).build());
        Job b = tally().create(JobSpec.builder()
                .id("cycle-b")
                .name("b")
                .parent(a.id())
                .total(2)
                .build());
        tally().delete(a.id());
        tally().create(JobSpec.builder()
                .id("cycle-a")
                .name("a again")
                .parent(b.id())
                .total(4)
                .build());

        io.tally.store.JobStats s = tally().storeSpi().stats(b.id());

        assertThat(s.total()).isEqualTo(2 + 4);
        assertThat(s.byState()).containsEntry(JobState.PENDING, 2L);
        assertThat(tally().get("cycle-a").snapshot().rollup().total()).isEqualTo(4 + 2);
    }
}
