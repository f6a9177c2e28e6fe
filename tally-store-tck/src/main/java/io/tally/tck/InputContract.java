package io.tally.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.InvalidInputException;
import io.tally.Job;
import io.tally.JobQuery;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.store.ProgressUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
