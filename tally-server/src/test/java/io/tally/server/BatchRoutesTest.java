package io.tally.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tally.Tally;
import io.tally.store.ForwardingJobStore;
import io.tally.store.JobRecord;
import io.tally.store.memory.MemoryJobStore;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code POST /api/progress}, {@code POST /api/jobs/{id}/parts/complete}, and {@code /health}'s cached ping. */
class BatchRoutesTest {
    @TempDir
    Path dir;

    Tally tally;
    TallyServer server;
    Http http;

    private void start(Tally t) {
        tally = t;
        server = TallyServer.builder().tally(tally).port(0).build().start();
        http = new Http(server.url());
    }

    @AfterEach
    void stop() {
        server.close();
        tally.close();
    }

    private String create(String body) {
        return http.post("/api/jobs", body).json().get("id").asText();
    }

    @Test
    void eachUpdateIsAnsweredInItsPlaceAndTheRefusedOnesWriteNothing() {
        start(Tally.open("memory:"));
        String a = create("{\"name\":\"a\",\"total\":10}");
        String b = create("{\"name\":\"b\",\"total\":10,\"start\":true}");
        String cancelled = create("{\"name\":\"c\",\"total\":10,\"start\":true}");
        http.post("/api/jobs/" + cancelled + "/cancel", "{}");

        Http.Res r = http.post(
                "/api/progress",
                "{\"updates\":[{\"id\":\"" + a + "\",\"succeeded\":2,\"failed\":1},"
                        + "{\"id\":\"" + cancelled + "\",\"succeeded\":1},"
                        + "{\"id\":\"no-such-job\",\"succeeded\":1},"
                        + "{\"id\":\"" + b + "\",\"items\":[{\"key\":\"k1\"},{\"key\":\"k2\",\"outcome\":\"FAILURE\"}],"
                        + "\"message\":\"half way\"}]}");

        assertThat(r.status()).isEqualTo(200);
        JsonNode results = r.json().get("results");
        assertThat(results).hasSize(4);
        assertThat(results.get(0).get("id").asText()).isEqualTo(a);
        assertThat(results.get(0).at("/progress/succeeded").asLong()).isEqualTo(2);
        assertThat(results.get(0).at("/progress/failed").asLong()).isEqualTo(1);
        assertThat(results.get(1).get("status").asInt()).isEqualTo(409);
        assertThat(results.get(1).at("/error/code").asText()).isEqualTo("finished");
        assertThat(results.get(1).get("state").asText()).isEqualTo("CANCELLED");
        assertThat(results.get(1).has("progress")).isFalse();
        assertThat(results.get(2).get("status").asInt()).isEqualTo(404);
        assertThat(results.get(2).at("/error/code").asText()).isEqualTo("not_found");
        assertThat(results.get(3).at("/progress/succeeded").asLong()).isEqualTo(1);
        assertThat(results.get(3).at("/progress/failed").asLong()).isEqualTo(1);

        assertThat(http.get("/api/jobs/" + a).json().get("state").asText()).isEqualTo("RUNNING");
        assertThat(http.get("/api/jobs/" + cancelled).json().get("succeeded").asLong())
                .isZero();
        assertThat(http.get("/api/jobs/" + b).json().get("message").asText()).isEqualTo("half way");
    }

    @Test
    void aBadEntryRefusesTheWholeRequestNamingItAndWritesNothing() {
        start(Tally.open("memory:"));
        String a = create("{\"name\":\"a\",\"total\":10,\"start\":true}");
        String first = "{\"id\":\"" + a + "\",\"succeeded\":1}";
        List<String[]> bad = List.of(
                new String[] {first + ",{\"id\":\"" + a + "\",\"succeeded\":-1}", "updates[1]: succeeded"},
                new String[] {first + ",{\"succeeded\":1}", "updates[1]: id: is required"},
                new String[] {first + ",{\"id\":\"" + a + "\",\"sucEEded\":1}", "updates[1]: unknown field"},
                new String[] {first + ",{\"id\":\"" + a + "\",\"items\":[{\"key\":\"\"}]}", "updates[1]: item"},
                new String[] {first + ",{\"id\":\"" + a + "\",\"succeeded\":1.5}", "updates[1]: succeeded"},
                new String[] {first + ",7", "updates[1]: must be an object"});
        for (String[] c : bad) {
            Http.Res r = http.post("/api/progress", "{\"updates\":[" + c[0] + "]}");
            assertThat(r.status()).as(c[0]).isEqualTo(400);
            assertThat(r.errorCode()).isEqualTo("invalid");
            assertThat(r.json().at("/error/message").asText()).as(c[0]).startsWith(c[1]);
        }
        assertThat(http.post("/api/progress", "{\"updates\":[]}").status()).isEqualTo(400);
        StringBuilder many = new StringBuilder("{\"updates\":[" + first);
        for (int i = 0; i < BatchRoutes.MAX_UPDATES; i++) {
            many.append(',').append(first);
        }
        Http.Res tooMany = http.post("/api/progress", many.append("]}").toString());
        assertThat(tooMany.status()).isEqualTo(400);
        assertThat(tooMany.json().at("/error/message").asText()).contains("at most " + BatchRoutes.MAX_UPDATES);

        assertThat(http.get("/api/jobs/" + a).json().get("succeeded").asLong()).isZero();
    }

    @Test
    void theItemLimitCountsTheItemsOfEveryEntry() {
        tally = Tally.open("memory:");
        server = TallyServer.builder()
                .tally(tally)
                .port(0)
                .maxItemsPerRequest(3)
                .build()
                .start();
        http = new Http(server.url());
        String a = create("{\"name\":\"a\",\"start\":true}");
        String entry = "{\"id\":\"" + a + "\",\"items\":[{\"key\":\"k1\"},{\"key\":\"k2\"}]}";

        Http.Res r = http.post("/api/progress", "{\"updates\":[" + entry + "," + entry + "]}");

        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().at("/error/message").asText())
                .isEqualTo("updates[1]: items: at most 3 per request on this server (--max-items), was 4");
        assertThat(http.get("/api/jobs/" + a).json().get("succeeded").asLong()).isZero();
        assertThat(http.post("/api/progress", "{\"updates\":[" + entry + "]}").status())
                .isEqualTo(200);
    }

    /** 16 clients × 25 batches of 20 updates on 8 jobs on SQLite, keyed items sent twice: every count exact. */
    @Test
    void concurrentBatchesOnSqliteAddUpExactly() throws Exception {
        start(Tally.open("sqlite:" + dir.resolve("batch.db")));
        List<String> jobs = new ArrayList<>();
        for (int j = 0; j < 8; j++) {
            jobs.add(create("{\"name\":\"j" + j + "\",\"start\":true}"));
        }
        int clients = 16;
        int batches = 25;
        int perBatch = 20;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        AtomicInteger entriesOk = new AtomicInteger();
        List<Future<?>> done = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            done.add(pool.submit(() -> {
                for (int b = 0; b < batches; b++) {
                    StringBuilder body = new StringBuilder("{\"updates\":[");
                    for (int u = 0; u < perBatch; u++) {
                        String job = jobs.get((client + b + u) % jobs.size());
                        // the key is the same for the client's batch b and b+1: each key is sent twice
                        String key = "c" + client + "-b" + (b / 2) + "-u" + u;
                        body.append(u == 0 ? "" : ",")
                                .append("{\"id\":\"" + job + "\",\"succeeded\":1,\"items\":[{\"key\":\"" + key
                                        + "\"}]}");
                    }
                    Http.Res r = new Http(server.url())
                            .post("/api/progress", body.append("]}").toString());
                    assertThat(r.status()).as(r.body()).isEqualTo(200);
                    r.json().get("results").forEach(res -> {
                        assertThat(res.has("progress")).as(res.toString()).isTrue();
                        entriesOk.incrementAndGet();
                    });
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();

        assertThat(entriesOk.get()).isEqualTo(clients * batches * perBatch);
        long anonymous = 0;
        long keyed = 0;
        for (String job : jobs) {
            JsonNode j = http.get("/api/jobs/" + job).json();
            anonymous += j.get("succeeded").asLong();
            keyed += http.get("/api/jobs/" + job + "/items?limit=1000")
                    .json()
                    .get("items")
                    .size();
        }
        // each entry adds one anonymous success; keys repeat across two batches (and may land on two jobs)
        long distinctKeyJobPairs = 0;
        for (int c = 0; c < clients; c++) {
            java.util.Set<String> pairs = new java.util.HashSet<>();
            for (int b = 0; b < batches; b++) {
                for (int u = 0; u < perBatch; u++) {
                    pairs.add(jobs.get((c + b + u) % jobs.size()) + "/c" + c + "-b" + (b / 2) + "-u" + u);
                }
            }
            distinctKeyJobPairs += pairs.size();
        }
        assertThat(keyed).isEqualTo(distinctKeyJobPairs);
        assertThat(anonymous).isEqualTo(clients * batches * perBatch + distinctKeyJobPairs);
    }

    @Test
    void partsCompletedTogetherAnswerOnceWithTheLastAndRefuseBadNumbersWritingNothing() {
        start(Tally.open("memory:"));
        String job = create("{\"name\":\"mr\",\"parts\":[{},{},{},{},{},{}]}");
        Http.Res bad = http.post("/api/jobs/" + job + "/parts/complete", "{\"parts\":[0,-1]}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().at("/error/message").asText()).startsWith("parts[1]");
        Http.Res outside = http.post("/api/jobs/" + job + "/parts/complete", "{\"parts\":[0,6]}");
        assertThat(outside.status()).isEqualTo(400);
        assertThat(http.get("/api/jobs/" + job + "/parts?state=succeeded")
                        .json()
                        .get("parts"))
                .isEmpty();

        JsonNode first = http.post("/api/jobs/" + job + "/parts/complete", "{\"parts\":[0,1,2]}")
                .json();
        assertThat(first.get("remaining").asInt()).isEqualTo(3);
        assertThat(first.get("last").asBoolean()).isFalse();
        JsonNode second = http.post("/api/jobs/" + job + "/parts/complete", "{\"parts\":[2,3,4,5]}")
                .json();
        assertThat(second.get("remaining").asInt()).isZero();
        assertThat(second.get("last").asBoolean()).isTrue();
        assertThat(http.post("/api/jobs/" + job + "/parts/complete", "{\"parts\":[5]}")
                        .json()
                        .get("last")
                        .asBoolean())
                .isFalse();
        assertThat(http.get("/api/jobs/" + job).json().get("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(http.post("/api/jobs/" + job + "/parts/complete", "{\"parts\":[]}")
                        .status())
                .isEqualTo(400);
    }

    /** 50 polls in a row cost the store about one lookup a second, not 50. */
    @Test
    void healthAsksTheStoreAtMostAboutOnceASecond() {
        AtomicInteger lookups = new AtomicInteger();
        start(Tally.builder()
                .store(new ForwardingJobStore(new MemoryJobStore(Clock.systemUTC())) {
                    @Override
                    public Optional<JobRecord> find(String id) {
                        lookups.incrementAndGet();
                        return super.find(id);
                    }
                })
                .build());
        for (int i = 0; i < 50; i++) {
            assertThat(http.get("/health").status()).isEqualTo(200);
        }
        assertThat(lookups.get()).isBetween(1, 5);
    }
}
