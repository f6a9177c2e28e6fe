package io.tally.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.tally.Job;
import io.tally.JobSpec;
import io.tally.Tally;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Happy paths of every endpoint, against a real server on an ephemeral port over {@code memory:}. */
class TallyServerTest {
    Tally tally;
    TallyServer server;
    Http http;

    @BeforeEach
    void start() {
        tally = Tally.open("memory:");
        server = TallyServer.builder()
                .tally(tally)
                .port(0)
                .sweepInterval(Duration.ofMillis(200))
                .build()
                .start();
        http = new Http(server.url());
    }

    @AfterEach
    void stop() {
        server.close();
        tally.close();
    }

    @Test
    void binds_loopback_only_by_default() {
        assertThat(server.url()).startsWith("http://127.0.0.1:");
    }

    @Test
    void builder_misuse_is_the_programmers() {
        assertThatThrownBy(() -> TallyServer.builder().build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("tally(");
        assertThatThrownBy(() -> TallyServer.builder().tally(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> TallyServer.builder().port(65536))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("port must be 0–65535, was 65536");
        assertThatThrownBy(() -> TallyServer.builder().host(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TallyServer.builder().maxBodyBytes(1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TallyServer.builder().sseHeartbeat(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> TallyServer.builder().maxEventStreams(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void creates_and_reads_a_job_with_snapshot_field_names() {
        Http.Res r = http.post(
                "/api/jobs",
                "{\"name\":\"import\",\"scope\":\"user:1\",\"total\":10,\"metadata\":{\"a\":1},\"start\":true,"
                        + "\"timeout\":\"PT1H\",\"heartbeat\":30,\"retainFor\":\"P1D\",\"id\":\"job-1\"}");
        assertThat(r.status()).isEqualTo(201);
        assertThat(r.raw().headers().firstValue("Location")).contains("/api/jobs/job-1");
        JsonNode j = r.json();
        assertThat(j.get("id").asText()).isEqualTo("job-1");
        assertThat(j.get("state").asText()).isEqualTo("RUNNING");
        assertThat(j.get("total").asLong()).isEqualTo(10);
        assertThat(j.get("heartbeat").asText()).isEqualTo("PT30S");
        assertThat(j.get("timeout").asText()).isEqualTo("PT1H");
        assertThat(j.get("metadata").get("a").asInt()).isEqualTo(1);
        assertThat(j.get("createdAt").asText()).endsWith("Z");
        for (String f : List.of(
                "name",
                "scope",
                "succeeded",
                "failed",
                "pending",
                "percent",
                "rate",
                "eta",
                "startedAt",
                "updatedAt",
                "finishedAt",
                "result",
                "error",
                "parent",
                "parts")) {
            assertThat(j.has(f)).as(f).isTrue();
        }
        Http.Res got = http.get("/api/jobs/job-1");
        assertThat(got.status()).isEqualTo(200);
        assertThat(got.json().get("name").asText()).isEqualTo("import");
        assertThat(got.json().get("rollup").get("total").asLong()).isEqualTo(10);
    }

    @Test
    void records_progress_with_counts_and_items() {
        String id = http.post("/api/jobs", "{\"name\":\"p\",\"total\":5}")
                .json()
                .get("id")
                .asText();
        Http.Res r = http.post(
                "/api/jobs/" + id + "/progress",
                "{\"succeeded\":2,\"failed\":1,\"items\":[{\"key\":\"a\",\"outcome\":\"SUCCESS\"},"
                        + "{\"key\":\"b\",\"outcome\":\"FAILURE\",\"reason\":\"boom\"}],\"message\":\"working\"}");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("succeeded").asLong()).isEqualTo(3);
        assertThat(r.json().get("failed").asLong()).isEqualTo(2);
        assertThat(r.json().get("state").asText()).isEqualTo("RUNNING");
        assertThat(r.json().get("message").asText()).isEqualTo("working");
        assertThat(r.json().get("percent").asDouble()).isEqualTo(100.0);

        Http.Res items = http.get("/api/jobs/" + id + "/items?outcome=FAILURE");
        assertThat(items.status()).isEqualTo(200);
        assertThat(items.json().get("items")).hasSize(1);
        assertThat(items.json().get("items").get(0).get("key").asText()).isEqualTo("b");
        assertThat(items.json().get("items").get(0).get("reason").asText()).isEqualTo("boom");
        assertThat(http.get("/api/jobs/" + id + "/items").json().get("items")).hasSize(2);
    }

    @Test
    void lifecycle_endpoints() {
        String id = http.post("/api/jobs", "{\"name\":\"l\",\"heartbeat\":60}")
                .json()
                .get("id")
                .asText();
        assertThat(http.post("/api/jobs/" + id + "/start", null)
                        .json()
                        .get("state")
                        .asText())
                .isEqualTo("RUNNING");
        Http.Res hb = http.post("/api/jobs/" + id + "/heartbeat", "");
        assertThat(hb.status()).isEqualTo(200);
        assertThat(hb.json().get("lease").isNull()).isFalse();
        Http.Res fin = http.post("/api/jobs/" + id + "/finish", "{\"result\":{\"rows\":42}}");
        assertThat(fin.status()).isEqualTo(200);
        assertThat(fin.json().get("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(fin.json().get("result").get("rows").asInt()).isEqualTo(42);

        String f = http.post("/api/jobs", "{\"name\":\"f\"}").json().get("id").asText();
        Http.Res failed = http.post("/api/jobs/" + f + "/fail", "{\"error\":\"disk full\"}");
        assertThat(failed.json().get("state").asText()).isEqualTo("FAILED");
        assertThat(failed.json().get("error").get("message").asText()).isEqualTo("disk full");
        assertThat(failed.json().get("error").get("reason").asText()).isEqualTo("ERROR");

        String c = http.post("/api/jobs", "{\"name\":\"c\",\"start\":true}")
                .json()
                .get("id")
                .asText();
        Http.Res cancelled = http.post("/api/jobs/" + c + "/cancel", "{\"reason\":\"user asked\"}");
        assertThat(cancelled.json().get("state").asText()).isEqualTo("CANCELLED");
        assertThat(cancelled.json().get("error").get("reason").asText()).isEqualTo("CANCELLED");
        // The same terminal transition again is a no-op, not an error.
        assertThat(http.post("/api/jobs/" + c + "/cancel", null).status()).isEqualTo(200);
    }

    @Test
    void parts_complete_exactly_once_last() {
        Http.Res created = http.post("/api/jobs", "{\"name\":\"mr\",\"parts\":[{\"x\":1},{\"x\":2},{\"x\":3}]}");
        assertThat(created.status()).isEqualTo(201);
        String id = created.json().get("id").asText();
        assertThat(created.json().get("parts").asInt()).isEqualTo(3);
        assertThat(http.get("/api/jobs/" + id + "/parts").json().get("parts").toString())
                .isEqualTo("[0,1,2]");

        Http.Res f = http.post("/api/jobs/" + id + "/parts/1/fail", "{\"reason\":\"flaky\"}");
        assertThat(f.status()).isEqualTo(200);
        assertThat(http.get("/api/jobs/" + id + "/parts?state=failed")
                        .json()
                        .get("parts")
                        .toString())
                .isEqualTo("[1]");

        List<Boolean> lasts = new ArrayList<>();
        for (int p : new int[] {0, 1, 2, 2}) {
            Http.Res r = http.post("/api/jobs/" + id + "/parts/" + p + "/complete", null);
            assertThat(r.status()).isEqualTo(200);
            lasts.add(r.json().get("last").asBoolean());
        }
        assertThat(lasts).containsExactly(false, false, true, false);
        assertThat(http.get("/api/jobs/" + id + "/parts?state=pending").json().get("parts"))
                .isEmpty();
        assertThat(http.get("/api/jobs/" + id).json().get("state").asText()).isEqualTo("SUCCEEDED");
        Http.Res dup = http.post("/api/jobs/" + id + "/parts/0/complete", null);
        assertThat(dup.json().get("changed").asBoolean()).isFalse();
        assertThat(dup.json().get("first").asBoolean())
                .as("the deprecated name, still sent")
                .isFalse();
        assertThat(dup.json().get("remaining").asLong()).isZero();
    }

    @Test
    void part_fail_with_fail_job_fails_the_job() {
        String id = http.post("/api/jobs", "{\"name\":\"mr\",\"parts\":[{},{}]}")
                .json()
                .get("id")
                .asText();
        http.post("/api/jobs/" + id + "/parts/0/fail", "{\"reason\":\"bad\",\"failJob\":true}");
        JsonNode j = http.get("/api/jobs/" + id).json();
        assertThat(j.get("state").asText()).isEqualTo("FAILED");
        assertThat(j.get("error").get("reason").asText()).isEqualTo("PART_FAILED");
    }

    @Test
    void lists_with_filters_and_keyset_paging() {
        for (int i = 0; i < 5; i++) {
            http.post("/api/jobs", "{\"name\":\"n" + (i % 2) + "\",\"scope\":\"s\"}");
        }
        http.post("/api/jobs", "{\"name\":\"other\",\"start\":true}");
        Http.Res first = http.get("/api/jobs?scope=s&limit=2");
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.json().get("jobs")).hasSize(2);
        String next = first.json().get("next").asText();
        List<String> ids = new ArrayList<>();
        first.json().get("jobs").forEach(j -> ids.add(j.get("id").asText()));
        String cursor = next;
        while (cursor != null) {
            Http.Res page = http.get("/api/jobs?scope=s&limit=2&cursor=" + cursor);
            page.json().get("jobs").forEach(j -> ids.add(j.get("id").asText()));
            cursor = page.json().get("next").isNull()
                    ? null
                    : page.json().get("next").asText();
        }
        assertThat(ids).hasSize(5).doesNotHaveDuplicates();
        assertThat(http.get("/api/jobs?name=n0").json().get("jobs")).hasSize(3);
        assertThat(http.get("/api/jobs?state=running").json().get("jobs")).hasSize(1);
        assertThat(http.get("/api/jobs").json().get("next").isNull()).isTrue();
    }

    @Test
    void children_and_rollup() {
        String parent = http.post("/api/jobs", "{\"name\":\"parent\",\"start\":true}")
                .json()
                .get("id")
                .asText();
        String child = http.post("/api/jobs", "{\"name\":\"child\",\"parent\":\"" + parent + "\",\"total\":4}")
                .json()
                .get("id")
                .asText();
        http.post("/api/jobs/" + child + "/progress", "{\"succeeded\":3}");
        assertThat(http.get("/api/jobs?parent=" + parent).json().get("jobs")).hasSize(1);
        JsonNode rollup = http.get("/api/jobs/" + parent).json().get("rollup");
        assertThat(rollup.get("succeeded").asLong()).isEqualTo(3);
        assertThat(rollup.get("total").asLong()).isEqualTo(4);
    }

    @Test
    void logs_stats_sweep_delete() {
        Job job = tally.create(JobSpec.builder().name("logged").start(true).build());
        job.log("INFO", "hello <b>");
        job.log("WARN", "careful");
        Http.Res logs = http.get("/api/jobs/" + job.id() + "/logs");
        assertThat(logs.status()).isEqualTo(200);
        assertThat(logs.json().get("logs")).hasSize(2);
        assertThat(logs.json().get("logs").get(0).get("message").asText()).isEqualTo("hello <b>");
        assertThat(http.get("/api/jobs/" + job.id() + "/logs?after=1").json().get("logs"))
                .hasSize(1);

        Http.Res stats = http.get("/api/stats");
        assertThat(stats.json().get("states").get("RUNNING").asLong()).isEqualTo(1);
        assertThat(stats.json().get("total").asLong()).isEqualTo(1);

        Http.Res sweep = http.post("/api/sweep", null);
        assertThat(sweep.status()).isEqualTo(200);
        assertThat(sweep.json().has("stalled")).isTrue();

        assertThat(http.delete("/api/jobs/" + job.id()).status()).isEqualTo(204);
        assertThat(http.get("/api/jobs/" + job.id()).status()).isEqualTo(404);
        assertThat(http.delete("/api/jobs/" + job.id()).status()).isEqualTo(404);
    }

    @Test
    void health_metrics_openapi_and_dashboard() {
        Http.Res health = http.get("/health");
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.json().get("status").asText()).isEqualTo("ok");

        http.get("/api/stats");
        Http.Res metrics = http.get("/metrics");
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.body()).contains("tally_jobs").contains("tally_http_requests");

        Http.Res openapi = http.get("/api/openapi.json");
        assertThat(openapi.status()).isEqualTo(200);
        JsonNode paths = openapi.json().get("paths");
        for (String p : List.of(
                "/api/jobs",
                "/api/jobs/{id}",
                "/api/jobs/{id}/progress",
                "/api/jobs/{id}/start",
                "/api/jobs/{id}/finish",
                "/api/jobs/{id}/fail",
                "/api/jobs/{id}/cancel",
                "/api/jobs/{id}/heartbeat",
                "/api/jobs/{id}/parts/{n}/complete",
                "/api/jobs/{id}/parts/{n}/fail",
                "/api/jobs/{id}/parts",
                "/api/jobs/{id}/items",
                "/api/jobs/{id}/logs",
                "/api/stats",
                "/api/events",
                "/health",
                "/metrics")) {
            assertThat(paths.has(p)).as(p).isTrue();
        }

        Http.Res index = http.get("/");
        assertThat(index.status()).isEqualTo(200);
        assertThat(index.raw().headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
        assertThat(index.body()).contains("<script src=\"/app.js\"").doesNotContain("<script>");
        String csp = index.raw().headers().firstValue("Content-Security-Policy").orElse("");
        assertThat(csp).contains("script-src 'self'").doesNotContain("unsafe-inline");
        assertThat(index.raw().headers().firstValue("X-Content-Type-Options")).contains("nosniff");
        assertThat(http.get("/app.js").body()).contains("textContent").doesNotContain("innerHTML =");
        assertThat(http.get("/style.css").status()).isEqualTo(200);
    }

    @Test
    void sweeper_runs_in_the_server() {
        // A job whose deadline lapses is failed by the server's own sweeper, without anyone calling /api/sweep.
        String id = http.post("/api/jobs", "{\"name\":\"t\",\"start\":true,\"timeout\":0.05}")
                .json()
                .get("id")
                .asText();
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(() ->
                        http.get("/api/jobs/" + id).json().get("state").asText().equals("FAILED"));
        assertThat(http.get("/api/jobs/" + id).json().get("error").get("reason").asText())
                .isEqualTo("TIMEOUT");
    }
}
