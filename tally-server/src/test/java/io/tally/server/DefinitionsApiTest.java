package io.tally.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.tally.JobState;
import io.tally.Tally;
import io.tally.runner.Definition;
import io.tally.runner.Runner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code GET /api/definitions} and {@code POST /api/definitions/{id}/builds}, with and without a runner. */
class DefinitionsApiTest {
    final Tally tally = Tally.open("memory:");
    final AtomicInteger cRuns = new AtomicInteger();
    final Runner runner = Runner.builder(tally)
            .define("A", ctx -> 1, Definition.options().title("Step A").tags("etl"))
            .define("B", ctx -> ctx.dependencyResult("A", Integer.class) * 10 + 2, Definition.dependsOn("A"))
            .define(
                    "C",
                    ctx -> {
                        cRuns.incrementAndGet();
                        return ctx.dependencyResult("B", Integer.class) * 10 + 3;
                    },
                    Definition.dependsOn("B"))
            .build();
    final List<TallyServer> servers = new ArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(TallyServer::close);
        runner.close();
        tally.close();
    }

    private Http start(Runner r, String token) {
        TallyServer server = TallyServer.builder()
                .tally(tally)
                .runner(r)
                .port(0)
                .token(token)
                .sweepInterval(null)
                .build()
                .start();
        servers.add(server);
        return new Http(server.url());
    }

    private static JsonNode def(Http.Res res, String id) {
        for (JsonNode d : res.json().get("definitions")) {
            if (d.get("id").asText().equals(id)) {
                return d;
            }
        }
        throw new AssertionError("no definition " + id + " in " + res.body());
    }

    private JsonNode awaitJob(Http http, String id) {
        JsonNode[] job = new JsonNode[1];
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            Http.Res r = http.get("/api/jobs/" + id);
            job[0] = r.json();
            return r.status() == 200
                    && JobState.valueOf(job[0].get("state").asText()).isTerminal();
        });
        return job[0];
    }

    @Test
    void lists_definitions_in_dependency_order_with_status() {
        Http http = start(runner, null);
        Http.Res res = http.get("/api/definitions");
        assertThat(res.status()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        res.json().get("definitions").forEach(d -> ids.add(d.get("id").asText()));
        assertThat(ids).containsExactly("A", "B", "C");
        JsonNode a = def(res, "A");
        assertThat(a.get("title").asText()).isEqualTo("Step A");
        assertThat(a.get("tags").get(0).asText()).isEqualTo("etl");
        assertThat(a.get("dependsOn")).isEmpty();
        assertThat(a.get("status").asText()).isEqualTo("NOT_BUILT");
        assertThat(a.get("outdated").asBoolean()).isFalse();
        assertThat(a.get("lastBuild").isNull()).isTrue();
        assertThat(def(res, "C").get("dependsOn").get(0).asText()).isEqualTo("B");
    }

    @Test
    void builds_with_dependencies_then_dependents_and_reports_outdated() {
        Http http = start(runner, null);
        Http.Res started = http.post("/api/definitions/C/builds", "{\"buildDependencies\":true}");
        assertThat(started.status()).isEqualTo(202);
        String id = started.json().get("id").asText();
        assertThat(started.json().get("definition").asText()).isEqualTo("C");
        assertThat(started.raw().headers().firstValue("Location")).contains("/api/jobs/" + id);
        JsonNode job = awaitJob(http, id);
        assertThat(job.get("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(job.get("result").asInt()).isEqualTo(123);
        assertThat(job.get("name").asText()).isEqualTo("C");

        Http.Res defs = http.get("/api/definitions");
        assertThat(def(defs, "C").get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(def(defs, "C").get("lastBuild").asText()).isEqualTo(id);

        // A newer A makes B and C outdated; building A with its dependents fixes both.
        String a = http.post("/api/definitions/A/builds", null).json().get("id").asText();
        awaitJob(http, a);
        defs = http.get("/api/definitions");
        assertThat(def(defs, "B").get("status").asText()).isEqualTo("OUTDATED");
        assertThat(def(defs, "C").get("outdated").asBoolean()).isTrue();

        int before = cRuns.get();
        String a2 = http.post("/api/definitions/A/builds", "{\"buildDependents\":true}")
                .json()
                .get("id")
                .asText();
        awaitJob(http, a2);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            Http.Res d = http.get("/api/definitions");
            return def(d, "C").get("status").asText().equals("SUCCEEDED")
                    && !def(d, "B").get("outdated").asBoolean();
        });
        assertThat(cRuns.get()).isEqualTo(before + 1);
    }

    @Test
    void a_failed_build_is_a_job_with_the_reason() {
        Http http = start(runner, null);
        Http.Res started = http.post("/api/definitions/B/builds", "{}");
        assertThat(started.status()).isEqualTo(202);
        JsonNode job = awaitJob(http, started.json().get("id").asText());
        assertThat(job.get("state").asText()).isEqualTo("FAILED");
        assertThat(job.get("error").get("message").asText()).contains("dependencies not met: A");
        assertThat(def(http.get("/api/definitions"), "B").get("status").asText())
                .isEqualTo("FAILED");
    }

    @Test
    void bad_input_is_refused_and_nothing_is_built() {
        Http http = start(runner, null);
        Http.Res unknown = http.post("/api/definitions/nope/builds", null);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.errorCode()).isEqualTo("not_found");
        assertThat(unknown.json().get("error").get("message").asText()).contains("nope");

        for (String body : List.of(
                "{\"buildDependencies\":\"yes\"}",
                "{\"buildDependents\":1}",
                "{\"deps\":true}",
                "[true]",
                "{\"buildDependencies\":",
                "\"x\"")) {
            Http.Res r = http.post("/api/definitions/A/builds", body);
            assertThat(r.status()).as(body).isEqualTo(400);
            assertThat(r.errorCode()).as(body).isEqualTo("invalid");
        }
        assertThat(http.get("/api/definitions?x=1").status()).isEqualTo(400);
        assertThat(http.post("/api/definitions/A/builds?deps=1", null).status()).isEqualTo(400);
        assertThat(http.get("/api/definitions/A").status()).isEqualTo(404);
        assertThat(tally.stats().values().stream().mapToLong(Long::longValue).sum())
                .isZero();
    }

    @Test
    void builds_need_the_write_token() {
        Http http = start(runner, "s3cret");
        assertThat(http.get("/api/definitions").status()).isEqualTo(200);
        Http.Res missing = http.post("/api/definitions/A/builds", null);
        assertThat(missing.status()).isEqualTo(401);
        assertThat(missing.errorCode()).isEqualTo("unauthorized");
        http.token = "wrong";
        assertThat(http.post("/api/definitions/A/builds", null).status()).isEqualTo(401);
        assertThat(tally.stats().values().stream().mapToLong(Long::longValue).sum())
                .isZero();
        http.token = "s3cret";
        Http.Res ok = http.post("/api/definitions/A/builds", null);
        assertThat(ok.status()).isEqualTo(202);
        assertThat(awaitJob(http, ok.json().get("id").asText()).get("state").asText())
                .isEqualTo("SUCCEEDED");
    }

    @Test
    void without_a_runner_both_answer_not_found() {
        Http http = start(null, null);
        Http.Res list = http.get("/api/definitions");
        assertThat(list.status()).isEqualTo(404);
        assertThat(list.errorCode()).isEqualTo("not_found");
        assertThat(list.json().get("error").get("message").asText()).contains("--definitions");
        Http.Res build = http.post("/api/definitions/A/builds", null);
        assertThat(build.status()).isEqualTo(404);
        assertThat(build.errorCode()).isEqualTo("not_found");
    }

    @Test
    void openapi_describes_both_endpoints() {
        Http http = start(null, null);
        JsonNode paths = http.get("/api/openapi.json").json().get("paths");
        assertThat(paths.has("/api/definitions")).isTrue();
        assertThat(paths.get("/api/definitions/{id}/builds").has("post")).isTrue();
    }
}
