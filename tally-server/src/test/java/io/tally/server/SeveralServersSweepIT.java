package io.tally.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tally.JobSpec;
import io.tally.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two servers sweeping one store at the same moment: every stalled or timed-out job is failed once and every expired
 * job deleted once in total, counted once between the two sweeps' answers and heard once on an event stream. The
 * store re-checks each candidate in its atomic step, so the sweepers need not know of each other.
 */
class SeveralServersSweepIT {
    private static final int EACH = 20;
    private static final Duration LEASE = Duration.ofMinutes(1);

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql", "mariadb", "redis", "redis-cluster"})
    void twoServersSweepingAtOnceFailAndDeleteEachDueJobOnceInTotal(String kind) throws Exception {
        MutableClock clock = MutableClock.startingNow();
        try (TwoServers s = new TwoServers(kind, dir, clock, null);
                SseClient onA = SseClient.open(s.a.url(), "?scope=" + s.unique, null)) {
            assertThat(onA.next().event()).isEqualTo("snapshot");
            List<String> stalled = create(s, b -> b.heartbeat(LEASE).start(true));
            List<String> timedOut = create(s, b -> b.timeout(LEASE).start(true));
            List<String> expired = create(s, b -> b.retainFor(LEASE).start(true));
            expired.forEach(id -> s.tallyB.get(id).finish());
            clock.advance(LEASE.multipliedBy(2));

            List<JsonNode> answers = sweepAtOnce(s.httpA, s.httpB, s.httpA, s.httpB);
            assertThat(sum(answers, "stalled")).isEqualTo(EACH);
            assertThat(sum(answers, "timedOut")).isEqualTo(EACH);
            assertThat(sum(answers, "deleted")).isEqualTo(EACH);

            for (String id : stalled) {
                assertFailed(s.httpB.get("/api/jobs/" + id).json(), "STALLED");
            }
            for (String id : timedOut) {
                assertFailed(s.httpB.get("/api/jobs/" + id).json(), "TIMEOUT");
            }
            for (String id : expired) {
                assertThat(s.httpA.get("/api/jobs/" + id).status()).isEqualTo(404);
                assertThat(s.httpB.get("/api/jobs/" + id).status()).isEqualTo(404);
            }

            // A job created after the sweeps bounds the stream: every sweep's event came before it.
            String last = s.tallyB
                    .create(JobSpec.builder().name("last").scope(s.unique).build())
                    .id();
            onA.until(e ->
                    e.event().equals("created") && e.job().get("id").asText().equals(last));
            Map<String, Long> failures = countOf(onA.seen(), "failed");
            Map<String, Long> deletions = countOf(onA.seen(), "deleted");
            List<String> failed = new ArrayList<>(stalled);
            failed.addAll(timedOut);
            assertThat(failures)
                    .containsOnlyKeys(failed)
                    .allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
            assertThat(deletions)
                    .containsOnlyKeys(expired)
                    .allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
        }
    }

    /** @return the ids of {@link #EACH} jobs in the test's scope, made through A's Tally with {@code spec}'s settings */
    private static List<String> create(TwoServers s, Function<JobSpec.Builder, JobSpec.Builder> spec) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < EACH; i++) {
            ids.add(s.tallyA
                    .create(spec.apply(JobSpec.builder().name("job").scope(s.unique))
                            .build())
                    .id());
        }
        return ids;
    }

    /** @return the answers of {@code POST /api/sweep} sent to each server at the same moment */
    private static List<JsonNode> sweepAtOnce(Http... servers) {
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService threads = Executors.newFixedThreadPool(servers.length); // a thread each: all wait for go
        List<CompletableFuture<JsonNode>> calls = new ArrayList<>();
        for (Http http : servers) {
            calls.add(CompletableFuture.supplyAsync(
                    () -> {
                        try {
                            go.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IllegalStateException(e);
                        }
                        Http.Res r = http.post("/api/sweep", null);
                        assertThat(r.status()).isEqualTo(200);
                        return r.json();
                    },
                    threads));
        }
        go.countDown();
        try {
            return calls.stream().map(CompletableFuture::join).toList();
        } finally {
            threads.shutdown();
        }
    }

    private static long sum(List<JsonNode> answers, String field) {
        return answers.stream().mapToLong(a -> a.get(field).asLong()).sum();
    }

    private static void assertFailed(JsonNode job, String reason) {
        assertThat(job.get("state").asText()).isEqualTo("FAILED");
        assertThat(job.get("error").get("reason").asText()).isEqualTo(reason);
    }

    private static Map<String, Long> countOf(List<SseClient.Event> events, String type) {
        return events.stream()
                .filter(e -> e.event().equals(type))
                .collect(Collectors.groupingBy(e -> e.job().get("id").asText(), Collectors.counting()));
    }
}
