package io.tally.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.FailureReason;
import io.tally.InvalidInputException;
import io.tally.Job;
import io.tally.JobFinishedException;
import io.tally.JobSnapshot;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.PartCompletion;
import io.tally.PartOptions;
import io.tally.store.PartStatus;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Map-reduce parts: numbering, payloads, idempotent completion, the exactly-once settle, failure policies. */
public interface PartsContract extends StoreFixture {

    private Job parts(int n) {
        return tally().create(JobSpec.builder()
                .name("tiles")
                .parts(IntStream.range(0, n)
                        .mapToObj(i -> Map.of("url", "u" + i))
                        .toList())
                .build());
    }

    @Test
    default void watchbotFlow() {
        Job job = tally().create(JobSpec.builder()
                .name("tiles")
                .parts(List.of(
                        Map.of("url", "https://a.com"), Map.of("url", "https://b.com"), Map.of("url", "https://c.com")))
                .build());
        assertThat(job.snapshot().parts()).isEqualTo(3);
        assertThat(job.snapshot().total()).isEqualTo(3);
        assertThat(tally().partPayload(job.id(), 1).orElseThrow())
                .containsEntry("url", "https://b.com")
                .containsEntry("jobId", job.id())
                .containsEntry("partId", 1);
        assertThat(tally().pendingParts(job.id())).containsExactly(0, 1, 2);

        assertThat(tally().completePart(job.id(), 1)).isEqualTo(new PartCompletion(true, 2, false));
        assertThat(tally().completePart(job.id(), 0)).isEqualTo(new PartCompletion(true, 1, false));
        assertThat(tally().pendingParts(job.id())).containsExactly(2);
        assertThat(job.snapshot().state()).isEqualTo(JobState.RUNNING);
        assertThat(tally().completePart(job.id(), 2)).isEqualTo(new PartCompletion(true, 0, true));

        JobSnapshot s = job.snapshot();
        assertThat(s.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(s.settled()).isTrue();
        assertThat(s.succeeded()).isEqualTo(3);
        assertThat(tally().pendingParts(job.id())).isEmpty();
    }

    @Test
    default void aDuplicateCompletionIsANoOpEvenAfterTheSettle() {
        Job job = parts(2);
        tally().completePart(job.id(), 0);
        assertThat(tally().completePart(job.id(), 0)).isEqualTo(new PartCompletion(false, 1, false));
        assertThat(tally().completePart(job.id(), 1).last()).isTrue();
        assertThat(tally().completePart(job.id(), 1)).isEqualTo(new PartCompletion(false, 0, false));
        assertThat(tally().completePart(job.id(), 0).last()).isFalse();
        assertThat(job.snapshot().succeeded()).isEqualTo(2);
    }

    @Test
    default void anAsyncCompletionAnswersAndRefusesAsTheBlockingOne() throws Exception {
        Job job = parts(3);
        assertThat(tally().completePartAsync(job.id(), 0).get(10, TimeUnit.SECONDS))
                .isEqualTo(new PartCompletion(true, 2, false));
        assertThat(tally().completePartAsync(job.id(), 0).get(10, TimeUnit.SECONDS))
                .isEqualTo(new PartCompletion(false, 2, false));
        // A part out of range is the store's to find: the future fails, nothing changes.
        assertThatThrownBy(() -> tally().completePartsAsync(job.id(), 1, 3).get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(InvalidInputException.class);
        assertThat(tally().pendingParts(job.id())).containsExactly(1, 2);
        // Input wrong on its face throws at once.
        assertThatThrownBy(() -> tally().completePartAsync(job.id(), -1)).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> tally().completePartsAsync(job.id())).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> tally().completePartAsync("no-such-job", 0).get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(io.tally.JobNotFoundException.class);

        assertThat(tally().completePartsAsync(job.id(), 1, 2).get(10, TimeUnit.SECONDS))
                .isEqualTo(new PartCompletion(true, 0, true));
        assertThat(tally().completePartAsync(job.id(), 2).get(10, TimeUnit.SECONDS))
                .isEqualTo(new PartCompletion(false, 0, false));
        assertThat(job.snapshot().state()).isEqualTo(JobState.SUCCEEDED);

        Job failing = parts(2);
        assertThat(tally().failPartAsync(failing.id(), 0, "flaky", false).get(10, TimeUnit.SECONDS))
                .isEqualTo(new PartCompletion(true, 1, false));
        assertThat(tally().failPartAsync(failing.id(), 1, "broken", true).get(10, TimeUnit.SECONDS))
                .isEqualTo(new PartCompletion(true, 0, false));
        assertThat(failing.snapshot().state()).isEqualTo(JobState.FAILED);
        assertThat(failing.snapshot().error().orElseThrow().reason()).isEqualTo(FailureReason.PART_FAILED);
        assertThatThrownBy(() -> tally().failPartAsync(failing.id(), -2, null, false))
                .isInstanceOf(InvalidInputException.class);

        Job cancelled = parts(2);
        cancelled.cancel("enough");
        assertThatThrownBy(() -> tally().completePartAsync(cancelled.id(), 0).get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(JobFinishedException.class);
        assertThat(tally().pendingParts(cancelled.id())).containsExactly(0, 1);
    }

    @Test
    default void aBatchCompletesManyPartsInOneStep() {
        Job job = parts(1000);
        int[] firstHalf = IntStream.range(0, 500).toArray();
        assertThat(tally().completeParts(job.id(), firstHalf)).isEqualTo(new PartCompletion(true, 500, false));
        assertThat(tally().completeParts(job.id(), firstHalf)).isEqualTo(new PartCompletion(false, 500, false));
        PartCompletion rest =
                tally().completeParts(job.id(), IntStream.range(0, 1000).toArray());
        assertThat(rest).isEqualTo(new PartCompletion(true, 0, true));
        assertThat(job.snapshot().state()).isEqualTo(JobState.SUCCEEDED);
    }

    @Test
    default void partNumbersOutOfRangeAreRejectedAndNothingIsWritten() {
        Job job = parts(3);
        assertThatThrownBy(() -> tally().completePart(job.id(), 3))
                .isInstanceOfSatisfying(
                        InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("part"));
        assertThatThrownBy(() -> tally().completePart(job.id(), -1)).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> tally().completeParts(job.id(), 0, 7)).isInstanceOf(InvalidInputException.class);
        assertThat(tally().pendingParts(job.id())).containsExactly(0, 1, 2);
        assertThat(job.snapshot().state()).isEqualTo(JobState.PENDING);
        Job plain = running(3);
        assertThatThrownBy(() -> tally().completePart(plain.id(), 0)).isInstanceOf(InvalidInputException.class);
    }

    @Test
    default void aJobWithPartsTakesNoAnonymousProgress() {
        Job job = parts(3);
        assertThatThrownBy(job::recordSuccess).isInstanceOf(InvalidInputException.class);
        assertThat(job.snapshot().succeeded()).isZero();
    }

    @Test
    default void aFailedPartWaitsForItsRetryUnderTheDefaultPolicy() {
        Job job = parts(3);
        tally().completePart(job.id(), 0);
        assertThat(tally().failPart(job.id(), 1, "flaky", false)).isEqualTo(new PartCompletion(true, 1, false));
        assertThat(tally().completePart(job.id(), 2)).isEqualTo(new PartCompletion(true, 0, false));
        assertThat(job.snapshot().state()).isEqualTo(JobState.RUNNING);
        assertThat(tally().parts(job.id(), PartStatus.FAILED)).containsExactly(1);
        assertThat(job.snapshot().failed()).isEqualTo(1);
        // The retry succeeds: the part moves to succeeded, counts once, and this call settles the job.
        assertThat(tally().completePart(job.id(), 1)).isEqualTo(new PartCompletion(true, 0, true));
        JobSnapshot s = job.snapshot();
        assertThat(s.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(s.succeeded()).isEqualTo(3);
        assertThat(s.failed()).isZero();
    }

    @Test
    default void toleratedFailuresLetTheJobSettle() {
        Job job = tally().create(JobSpec.builder()
                .name("lenient")
                .parts(List.of(Map.of(), Map.of(), Map.of()))
                .toleratedFailures(1)
                .build());
        tally().failPart(job.id(), 0, "bad input", false);
        tally().completePart(job.id(), 1);
        assertThat(tally().completePart(job.id(), 2).last()).isTrue();
        assertThat(job.snapshot().state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(job.snapshot().failed()).isEqualTo(1);
    }

    @Test
    default void failPartWithFailJobFailsTheJob() {
        Job job = parts(3);
        tally().completePart(job.id(), 0);
        tally().failPart(job.id(), 1, "corrupt tile", true);
        JobSnapshot s = job.snapshot();
        assertThat(s.state()).isEqualTo(JobState.FAILED);
        assertThat(s.error().orElseThrow().reason()).isEqualTo(FailureReason.PART_FAILED);
        assertThat(s.error().orElseThrow().message()).isEqualTo("corrupt tile");
        assertThat(s.settled()).isFalse();
        assertThatThrownBy(() -> tally().completePart(job.id(), 2)).isInstanceOf(JobFinishedException.class);
        assertThat(tally().completePart(job.id(), 0).last()).isFalse(); // a duplicate is still a no-op
    }

    @Test
    default void runPartCompletesThePartAndReturnsTheResult() {
        Job job = parts(2);
        assertThat(tally().runPart(job.id(), 0, PartOptions.defaults(), () -> "done 0"))
                .isEqualTo("done 0");
        assertThat(tally().pendingParts(job.id())).containsExactly(1);
    }

    @Test
    default void runPartSkipsTheWorkOfAPartThatSucceededBeforeUnlessAskedToRerun() {
        Job job = parts(3);
        AtomicInteger ran = new AtomicInteger();
        assertThat(tally().runPart(job.id(), 1, PartOptions.defaults(), ran::incrementAndGet))
                .isEqualTo(1);
        assertThat(tally().runPart(job.id(), 1, PartOptions.defaults(), ran::incrementAndGet))
                .as("a redelivery")
                .isNull();
        assertThat(ran).hasValue(1);
        assertThat(tally().runPart(job.id(), 1, PartOptions.defaults().rerunCompleted(), ran::incrementAndGet))
                .isEqualTo(2);
        tally().failPart(job.id(), 0, "flaky", false);
        assertThat(tally().runPart(job.id(), 0, PartOptions.defaults(), ran::incrementAndGet))
                .as("a failed part is retried")
                .isEqualTo(3);
        assertThat(job.snapshot().succeeded()).isEqualTo(2);
        assertThat(tally().pendingParts(job.id())).containsExactly(2);
    }

    @Test
    default void runPartWithAFatalExceptionFailsTheJobAndLaterPartsDoNotRun() {
        Job job = parts(3);
        PartOptions options = PartOptions.failJobOn(IOException.class);
        assertThatThrownBy(() -> tally().runPart(job.id(), 0, options, () -> {
                    throw new java.io.FileNotFoundException("tile.png");
                }))
                .isInstanceOf(java.io.FileNotFoundException.class);
        assertThat(job.snapshot().state()).isEqualTo(JobState.FAILED);
        assertThat(job.snapshot().error().orElseThrow().reason()).isEqualTo(FailureReason.PART_FAILED);
        AtomicInteger ran = new AtomicInteger();
        assertThatThrownBy(() -> tally().runPart(job.id(), 1, options, ran::incrementAndGet))
                .isInstanceOf(JobFinishedException.class);
        assertThat(ran).hasValue(0);
    }

    @Test
    default void runPartWithAnotherExceptionRethrowsAndRecordsNothing() {
        Job job = parts(2);
        PartOptions options = PartOptions.failJobOn(IOException.class);
        assertThatThrownBy(() -> tally().runPart(job.id(), 1, options, () -> {
                    throw new IllegalStateException("transient");
                }))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("transient");
        JobSnapshot s = job.snapshot();
        assertThat(s.state()).isEqualTo(JobState.PENDING);
        assertThat(s.failed()).isZero();
        assertThat(tally().pendingParts(job.id())).containsExactly(0, 1);
    }

    @Test
    default void pendingPartsStreamsPageByPage() {
        Job job = parts(2500);
        tally().completeParts(
                        job.id(),
                        IntStream.range(0, 2500).filter(i -> i % 3 == 0).toArray());
        List<Integer> pending = tally().pendingParts(job.id()).toList();
        assertThat(pending).hasSize(2500 - 834).doesNotContain(0, 3, 2499).contains(1, 2, 2498);
        assertThat(pending).isSorted();
    }
}
