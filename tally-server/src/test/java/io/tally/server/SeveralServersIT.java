package io.tally.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.tally.runner.Runner;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Several {@code tally serve} processes on one store behind one address: what is written through server A is read,
 * listed and heard through server B, an event stream that moves from A to B loses nothing, and a build started through
 * A shows on B. Each server has its own {@code Tally} on the same store URL, so nothing passes between them but the
 * store. Sweeps are in {@link SeveralServersSweepIT}.
 */
class SeveralServersIT {
    @TempDir
    Path dir;

    /**
     * What docs/server-and-cli.md promises an event stream that changes servers: a {@code Last-Event-ID} from another
     * server gets a fresh snapshot holding what was missed, the same server replays exactly the missed events, and
     * each lifecycle event of a job reaches a stream once.
     */
    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql", "mariadb", "redis", "redis-cluster"})
    void writesThroughOneServerAreReadListedAndHeardThroughTheOther(String kind) throws Exception {
        try (TwoServers s = new TwoServers(kind, dir, Clock.systemUTC(), null);
                SseClient scopeOnB = SseClient.open(s.b.url(), "?scope=" + s.unique, null)) {
            assertThat(scopeOnB.next().event()).isEqualTo("snapshot");

            Http.Res created = s.httpA.post(
                    "/api/jobs", "{\"name\":\"import\",\"scope\":\"" + s.unique + "\",\"total\":3,\"start\":true}");
            assertThat(created.status()).isEqualTo(201);
            String id = created.json().get("id").asText();
            // B heard the creation through the store: a stream opened on B from here on starts after it.
            assertThat(scopeOnB.next().event()).isEqualTo("created");
            assertThat(scopeOnB.next().event()).isEqualTo("started");

            try (SseClient jobOnB = SseClient.open(s.b.url(), "?job=" + id, null)) {
                SseClient.Event snapshotB = jobOnB.next();
                assertThat(snapshotB.event()).isEqualTo("snapshot");
                assertThat(snapshotB.job().get("state").asText()).isEqualTo("RUNNING");

                SseClient onA = SseClient.open(s.a.url(), "?job=" + id, null); // hung up below
                SseClient.Event snapshotA = onA.next();
                assertThat(snapshotA.event()).isEqualTo("snapshot");
                assertThat(snapshotA.stream()).isNotEqualTo(snapshotB.stream());

                progress(s.httpA, id, 1);
                SseClient.Event heardOnA = onA.next();
                assertThat(heardOnA.event()).isEqualTo("progress");
                assertThat(heardOnA.job().get("succeeded").asLong()).isEqualTo(1);
                SseClient.Event heardOnB = jobOnB.next();
                assertThat(heardOnB.event()).isEqualTo("progress");
                assertThat(heardOnB.job().get("succeeded").asLong()).isEqualTo(1);

                JsonNode readOnB = s.httpB.get("/api/jobs/" + id).json();
                assertThat(readOnB.get("state").asText()).isEqualTo("RUNNING");
                assertThat(readOnB.get("succeeded").asLong()).isEqualTo(1);
                assertThat(readOnB.get("total").asLong()).isEqualTo(3);
                JsonNode listedOnB = s.httpB.get("/api/jobs?scope=" + s.unique).json();
                assertThat(listedOnB.get("jobs")).hasSize(1);
                assertThat(listedOnB.get("jobs").get(0).get("id").asText()).isEqualTo(id);
                assertThat(listedOnB.get("jobs").get(0).get("succeeded").asLong())
                        .isEqualTo(1);

                // The client on A loses its connection; a write through B happens meanwhile; the client comes back
                // through the balancer, to B, or to A again.
                onA.close();
                progress(s.httpB, id, 1);
                assertThat(jobOnB.next().job().get("succeeded").asLong()).isEqualTo(2);
                try (SseClient movedToB = SseClient.open(s.b.url(), "?job=" + id, heardOnA.id());
                        SseClient backOnA = SseClient.open(s.a.url(), "?job=" + id, heardOnA.id())) {
                    // B cannot know what A's id stood for: a fresh snapshot, which holds the write it missed.
                    SseClient.Event fresh = movedToB.next();
                    assertThat(fresh.event()).isEqualTo("snapshot");
                    assertThat(fresh.stream()).isEqualTo(snapshotB.stream());
                    assertThat(fresh.job().get("succeeded").asLong()).isEqualTo(2);
                    // A replays exactly the one event the client missed (A heard B's write from the store).
                    SseClient.Event replayed = backOnA.next();
                    assertThat(replayed.event()).isEqualTo("progress");
                    assertThat(replayed.stream()).isEqualTo(snapshotA.stream());
                    assertThat(replayed.job().get("succeeded").asLong()).isEqualTo(2);

                    Http.Res finished = s.httpA.post("/api/jobs/" + id + "/finish", "{\"result\":{\"rows\":2}}");
                    assertThat(finished.status()).isEqualTo(200);
                    for (SseClient c : List.of(movedToB, backOnA, jobOnB)) {
                        SseClient.Event end = c.next();
                        assertThat(end.event()).isEqualTo("finished");
                        assertThat(end.job().get("state").asText()).isEqualTo("SUCCEEDED");
                        assertThat(end.job().get("result").get("rows").asInt()).isEqualTo(2);
                    }
                }
                assertThat(jobOnB.seen())
                        .extracting(SseClient.Event::event)
                        .containsExactly("snapshot", "progress", "progress", "finished");
            }

            // A job created after the finish bounds the scope stream: every event of the first job came before it.
            String last = s.httpA
                    .post("/api/jobs", "{\"name\":\"last\",\"scope\":\"" + s.unique + "\"}")
                    .json()
                    .get("id")
                    .asText();
            scopeOnB.until(e ->
                    e.event().equals("created") && e.job().get("id").asText().equals(last));
            List<String> lifecycle = scopeOnB.seen().stream()
                    .filter(e -> e.job().path("id").asText().equals(id))
                    .map(SseClient.Event::event)
                    .filter(e -> !e.equals("progress"))
                    .toList();
            assertThat(lifecycle).containsExactly("created", "started", "finished");
        }
    }

    /** Each server has its own runner of the same definitions; what B says of A's build it reads from the store. */
    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql", "mariadb", "redis", "redis-cluster"})
    void aBuildStartedThroughOneServerShowsOnTheOtherWhileItRunsAndAfter(String kind) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (TwoServers s = new TwoServers(
                kind,
                dir,
                Clock.systemUTC(),
                tally -> Runner.builder(tally)
                        .define("report", ctx -> {
                            release.await(); // the build runs until the test has seen it running
                            return "done";
                        })
                        .build())) {
            try {
                buildThroughAWatchOnB(s, release);
            } finally {
                release.countDown(); // before the runners close, which end their builds
            }
        }
    }

    private static void buildThroughAWatchOnB(TwoServers s, CountDownLatch release) {
        Http.Res started = s.httpA.post("/api/definitions/report/builds", null);
        assertThat(started.status()).isEqualTo(202);
        String id = started.json().get("id").asText();

        // B's runner is not building it: BUILDING on B comes from the build's job in the store.
        await().atMost(Duration.ofSeconds(15)).until(() -> status(s.httpB).equals("BUILDING"));
        assertThat(s.httpB.get("/api/jobs/" + id).json().get("state").asText()).isEqualTo("RUNNING");
        release.countDown();

        await().atMost(Duration.ofSeconds(15)).until(() -> status(s.httpB).equals("SUCCEEDED"));
        JsonNode definition =
                s.httpB.get("/api/definitions").json().get("definitions").get(0);
        assertThat(definition.get("lastBuild").asText()).isEqualTo(id);
        JsonNode build = s.httpB.get("/api/jobs/" + id).json();
        assertThat(build.get("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(build.get("result").asText()).isEqualTo("done");
    }

    private static void progress(Http http, String id, int succeeded) {
        Http.Res r = http.post("/api/jobs/" + id + "/progress", "{\"succeeded\":" + succeeded + "}");
        assertThat(r.status()).isEqualTo(200);
    }

    private static String status(Http http) {
        return http.get("/api/definitions")
                .json()
                .get("definitions")
                .get(0)
                .get("status")
                .asText();
    }
}
