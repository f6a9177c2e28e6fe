package io.tally.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.InvalidInputException;
import io.tally.Job;
import io.tally.JobQuery;
import io.tally.JobSnapshot;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.Progress;
import io.tally.internal.Validation;
import io.tally.store.ItemUpdate;
import io.tally.store.JobRecord;
import io.tally.store.ProgressUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** Bad input is rejected with an {@link InvalidInputException} naming the field, and nothing is written. */
public interface InputContract extends StoreFixture {

    private void rejects(String field, ThrowingCallable call) {
        long before =
                tally().stats().values().stream().mapToLong(Long::longValue).sum();
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(
                        InvalidInputException.class, e -> assertThat(e.field()).isEqualTo(field))
                .hasMessageStartingWith(field + ":");
        long after =
                tally().stats().values().stream().mapToLong(Long::longValue).sum();
        assertThat(after).as("no job written").isEqualTo(before);
    }

    @Test
    default void badSpecsAreRejected() {
        rejects("name", () -> JobSpec.builder().name(null));
        rejects("name", () -> JobSpec.builder().name("  "));
        rejects("name", () -> JobSpec.builder().build());
        rejects("name", () -> JobSpec.builder().name("x".repeat(513)));
        rejects("total", () -> JobSpec.builder().total(-1));
        rejects("id", () -> JobSpec.builder().id("has space"));
        rejects("id", () -> JobSpec.builder().id("slash/es"));
        rejects("id", () -> JobSpec.builder().id("ünïcode"));
        rejects("id", () -> JobSpec.builder().id(""));
        rejects("id", () -> JobSpec.builder().id("a".repeat(129)));
        rejects("parent", () -> JobSpec.builder().parent("bad id!"));
        rejects("metadata", () -> JobSpec.builder().metadataJson("[1,2]"));
        rejects("metadata", () -> JobSpec.builder().metadataJson("\"text\""));
        rejects("metadata", () -> JobSpec.builder().metadataJson("{not json"));
        rejects("metadata", () -> JobSpec.builder().metadataJson("{\"a\":1} trailing"));
        rejects("metadata", () -> JobSpec.builder().metadataJson("{\"a\":1}{\"b\":2}"));
        rejects("metadata", () -> JobSpec.builder().metadataJson("{\"a\":1,\"a\":2}"));
        rejects("metadata", () -> JobSpec.builder().metadata(Map.of("big", "x".repeat(70_000))));
        rejects("parts", () -> JobSpec.builder().parts(List.of()));
        rejects("parts", () -> JobSpec.builder().parts(java.util.Arrays.asList(Map.of(), null)));
        rejects("timeout", () -> JobSpec.builder().timeout(Duration.ZERO));
        rejects("heartbeat", () -> JobSpec.builder().heartbeat(Duration.ofSeconds(-1)));
        rejects("toleratedFailures", () -> JobSpec.builder().toleratedFailures(-1));
        rejects("name", () -> JobSpec.builder().name("nul\0char"));
        rejects("metadata", () -> JobSpec.builder().metadata(Map.of("k", "nul\0char")));
        rejects(
                "parts",
                () -> tally().create(JobSpec.builder()
                        .name("p")
                        .parts(List.of("[1]"))
                        .build()));
        rejects(
                "parent",
                () -> tally().create(JobSpec.builder()
                        .name("orphan")
                        .parent("no-such-job")
                        .build()));
    }

    @Test
    default void invalidUnicodeIsRefusedNamingTheFieldAndPairedSurrogatesAreKept() {
        String lone = "a\ud800b";
        assertThatThrownBy(() -> JobSpec.builder().name(lone).build())
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("name")
                .hasMessageContaining("invalid Unicode");
        assertThatThrownBy(() -> tally().create(JobSpec.builder()
                        .name("m")
                        .metadata(Map.of("k", lone))
                        .build()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("metadata");
        Job job = tally().create(JobSpec.builder()
                .name("rocket \ud83d\ude80")
                .start(true)
                .build());
        assertThatThrownBy(() -> job.recordSuccess("item \udc00"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("item");
        assertThatThrownBy(() -> job.finish(Map.of("r", lone)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("result");
        assertThat(job.snapshot().name()).isEqualTo("rocket 🚀");
        assertThat(job.snapshot().state()).isEqualTo(JobState.RUNNING);
        assertThat(job.snapshot().succeeded()).isZero();
    }

    @Test
    default void idsAtTheLimitsAreAccepted() {
        String longest = "a".repeat(128);
        Job job = tally().create(JobSpec.builder().id(longest).name("n").build());
        assertThat(tally().get(longest).id()).isEqualTo(job.id());
        Job odd = tally().create(JobSpec.builder().id("A-z_0.9:x").name("n").build());
        assertThat(odd.snapshot().name()).isEqualTo("n");
    }

    @Test
    default void metadataJustUnderTheLimitIsAccepted() {
        Map<String, Object> meta = new HashMap<>();
        meta.put("blob", "x".repeat(60_000));
        Job job = tally().create(JobSpec.builder().name("big").metadata(meta).build());
        assertThat(job.snapshot().metadata().get("blob").toString()).hasSize(60_000);
    }

    @Test
    default void badProgressIsRejectedAndChangesNothing() {
        Job job = running(10);
        job.recordSuccess("kept");
        rejects("item", () -> job.recordSuccess(null));
        rejects("item", () -> job.recordSuccess(""));
        rejects("item", () -> job.recordFailure("x".repeat(600)));
        rejects("succeeded", () -> job.record(ProgressUpdate.counts(-1, 0)));
        rejects("failed", () -> job.record(ProgressUpdate.counts(0, -5)));
        rejects("n", () -> job.addTotal(-3));
        rejects("n", () -> job.addTotal(0));
        assertThat(job.progress().succeeded()).isEqualTo(1);
        assertThat(job.progress().total()).isEqualTo(10);
        assertThat(job.snapshot().state()).isEqualTo(JobState.RUNNING);
    }

    /**
     * No counter passes 2^53 − 1, alike on every store: the call that would take one past it is refused naming the
     * counter, and nothing of it is written (no count, no item, no auto-start, no new time stamp). Reached with large
     * deltas, since 2^53 calls would take years.
     */
    @Test
    default void aCounterPastTwoToTheFiftyThreeIsRefusedNamingItAndNothingIsWritten() {
        long max = Validation.MAX_COUNT;
        assertThat(max).isEqualTo(9_007_199_254_740_991L);
        Job pending = tally().create(JobSpec.builder().name("big").total(max).build());
        refusesPastTheLimit("total", pending, () -> pending.addTotal(1));
        assertThat(pending.snapshot().state())
                .as("a refused call starts nothing")
                .isEqualTo(JobState.PENDING);

        Job job = running(max - 1);
        job.record(ProgressUpdate.counts(max - 1, max - 2));
        job.recordSuccess("a");
        job.addTotal(1);
        clock().advance(Duration.ofSeconds(5)); // a refused call that still wrote would stamp a new time
        refusesPastTheLimit("succeeded", job, job::recordSuccess);
        refusesPastTheLimit("succeeded", job, () -> job.recordSuccess("b"));
        refusesPastTheLimit("succeeded", job, () -> job.record(ProgressUpdate.counts(max, 0)));
        refusesPastTheLimit("total", job, () -> job.addTotal(1));
        refusesPastTheLimit(
                "succeeded",
                job,
                () -> job.record(new ProgressUpdate(
                        0,
                        0,
                        List.of(new ItemUpdate("c", Outcome.FAILURE, null), new ItemUpdate("d", Outcome.SUCCESS, null)),
                        1,
                        "no")));
        assertThat(job.recordFailure("e").failed()).isEqualTo(max - 1);
        assertThat(job.recordFailure().failed()).as("exactly to the limit").isEqualTo(max);
        refusesPastTheLimit("failed", job, job::recordFailure);
        refusesPastTheLimit("failed", job, () -> job.recordFailure("f", "why"));
        refusesPastTheLimit("failed", job, () -> job.recordFailure("a")); // a move: succeeded − 1, failed + 1
        // a call that moves no counter is not refused
        assertThat(job.recordSuccess("a").succeeded()).isEqualTo(max);
        assertThat(job.recordFailure("e").failed()).isEqualTo(max);
        assertThat(job.items().get(Outcome.SUCCESS)).containsExactly("a");
        assertThat(job.items().get(Outcome.FAILURE)).containsExactly("e");
        JobSnapshot done = job.snapshot();
        assertThat(List.of(done.total(), done.succeeded(), done.failed())).containsExactly(max, max, max);
        // the edge refuses a delta past the limit before it reaches the store
        rejects("succeeded", () -> job.record(ProgressUpdate.counts(max + 1, 0)));
        rejects("addTotal", () -> job.record(new ProgressUpdate(0, 0, List.of(), Long.MAX_VALUE, null)));
        rejects("n", () -> job.addTotal(max + 1));
        rejects("total", () -> JobSpec.builder().total(max + 1));
    }

    /**
     * Calls in flight together (combined into one store step where the store batches) are answered as if made one
     * after the other: the one past the limit is refused, those before and after it apply.
     */
    @Test
    default void aRefusalPastTheLimitInABatchRefusesOnlyThatCall() {
        long max = Validation.MAX_COUNT;
        Job job = running(0);
        job.record(ProgressUpdate.counts(max - 3, 0));
        List<CompletableFuture<Progress>> calls = List.of(
                job.recordSuccessAsync("k1"),
                job.recordAsync(ProgressUpdate.counts(3, 0)),
                job.recordSuccessAsync("k2"),
                job.recordSuccessAsync("k3"),
                job.recordSuccessAsync("k1"),
                job.recordAsync(ProgressUpdate.counts(1, 0)),
                job.recordSuccessAsync("k4"));
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new))
                .handle((ok, e) -> null)
                .join();
        assertThat(calls.get(0).join().succeeded()).isEqualTo(max - 2);
        assertThatThrownBy(calls.get(1)::join).hasCauseInstanceOf(InvalidInputException.class);
        assertThat(calls.get(2).join().succeeded()).isEqualTo(max - 1);
        assertThat(calls.get(3).join().succeeded()).isEqualTo(max);
        assertThat(calls.get(4).join().succeeded())
                .as("recorded again: no move")
                .isEqualTo(max);
        assertThatThrownBy(calls.get(5)::join)
                .cause()
                .isInstanceOfSatisfying(
                        InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("succeeded"));
        assertThatThrownBy(calls.get(6)::join).hasCauseInstanceOf(InvalidInputException.class);
        assertThat(job.progress().succeeded()).isEqualTo(max);
        assertThat(job.items().get(Outcome.SUCCESS)).containsExactlyInAnyOrder("k1", "k2", "k3");
    }

    private void refusesPastTheLimit(String field, Job job, ThrowingCallable call) {
        JobRecord before = job.snapshot().record();
        Map<Outcome, java.util.Set<String>> items = job.items();
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(
                        InvalidInputException.class, e -> assertThat(e.field()).isEqualTo(field))
                .hasMessageStartingWith(field + ": would pass 9007199254740991");
        assertThat(job.snapshot().record()).as("nothing written").isEqualTo(before);
        assertThat(job.items()).as("no item written").isEqualTo(items);
    }

    @Test
    default void badLookupsAreRejected() {
        rejects("id", () -> tally().get("semi;colon"));
        rejects("id", () -> tally().find("x".repeat(200)));
        rejects("jobId", () -> tally().completePart("bad id", 0));
        rejects("limit", () -> JobQuery.builder().limit(0));
        rejects("limit", () -> JobQuery.builder().limit(100_000));
        rejects("cursor", () -> JobQuery.builder().cursor("%%%"));
        rejects("cursor", () -> JobQuery.builder().cursor("bm8tY29sb24"));
    }

    @Test
    default void hostileTextRoundTripsUnchanged() {
        List<String> nasty = new ArrayList<>(List.of(
                "'; DROP TABLE jobs; --",
                "\" OR 1=1 --",
                "<img src=x onerror=alert(1)>",
                "line\nbreak\ttab",
                "controls \u0001\u001f\u007f and separators \u2028\u2029",
                "emoji 🎉 and ünïcödé",
                "back\\slash %_ wildcards",
                "{\"json\": [1, 2]}",
                "${jndi:ldap://x}",
                "-- comment /* block */"));
        for (String s : nasty) {
            Job job = tally().create(JobSpec.builder()
                    .name(s)
                    .scope(s)
                    .metadata(Map.of(s, s))
                    .message(s)
                    .total(2)
                    .build());
            job.recordFailure(s, s);
            job.fail(s);
            var snap = job.snapshot();
            assertThat(snap.name()).isEqualTo(s);
            assertThat(snap.scope()).contains(s);
            assertThat(snap.metadata()).containsEntry(s, s);
            assertThat(snap.message()).contains(s);
            assertThat(snap.error().orElseThrow().message()).isEqualTo(s);
            assertThat(job.items(io.tally.Outcome.FAILURE, null, 10)
                            .items()
                            .get(0)
                            .key())
                    .isEqualTo(s);
            assertThat(job.items(io.tally.Outcome.FAILURE, null, 10)
                            .items()
                            .get(0)
                            .reason())
                    .isEqualTo(s);
            assertThat(tally().query(JobQuery.builder().scope(s).build()).items())
                    .extracting(x -> x.id())
                    .containsExactly(job.id());
            assertThat(tally().query(JobQuery.builder().name(s).build()).items())
                    .hasSize(1);
        }
    }
}
