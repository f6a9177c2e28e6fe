package io.tally.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tally.Tally;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad input gets the documented 4xx with a JSON error, never a 500 or an HTML page, and changes nothing: after each
 * request the job and the counts per state are exactly as before.
 */
class TallyServerBadInputTest {
    Tally tally;
    TallyServer server;
    Http http;
    String id;
    String partsJob;

    @BeforeEach
    void start() {
        tally = Tally.open("memory:");
        server = TallyServer.builder()
                .tally(tally)
                .port(0)
                .maxBodyBytes(4096)
                .build()
                .start();
        http = new Http(server.url());
        id = http.post("/api/jobs", "{\"name\":\"base\",\"total\":10,\"start\":true}")
                .json()
                .get("id")
                .asText();
        http.post("/api/jobs/" + id + "/progress", "{\"succeeded\":1}");
        partsJob = http.post("/api/jobs", "{\"name\":\"mr\",\"parts\":[{},{},{}]}")
                .json()
                .get("id")
                .asText();
    }

    @AfterEach
    void stop() {
        server.close();
        tally.close();
    }

    private String state() {
        JsonNode a = http.get("/api/jobs/" + id).json();
        JsonNode b = http.get("/api/jobs/" + partsJob).json();
        return http.get("/api/stats").body()
                + strip(a)
                + strip(b)
                + http.get("/api/jobs/" + partsJob + "/parts").body();
    }

    private static String strip(JsonNode j) {
        // rate and eta move with the clock; everything else must be unchanged
        ((com.fasterxml.jackson.databind.node.ObjectNode) j).remove(java.util.List.of("rate", "eta", "etaSeconds"));
        ((com.fasterxml.jackson.databind.node.ObjectNode) j.get("rollup"))
                .remove(java.util.List.of("rate", "eta", "etaSeconds"));
        return j.toString();
    }

    private void expect(int status, String code, String method, String path, String body) {
        String before = state();
        Http.Res r = http.send(method, path, body);
        assertThat(r.status())
                .as(method + " " + path + " " + body + " -> " + r.body())
                .isEqualTo(status);
        assertThat(r.json()).as("JSON error body for " + path).isNotNull();
        assertThat(r.errorCode()).isEqualTo(code);
        assertThat(r.json().path("error").path("message").asText()).isNotBlank();
        assertThat(state()).as("nothing changed").isEqualTo(before);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{",
                "not json",
                "[1,2]",
                "\"text\"",
                "{\"name\":}",
                "{\"name\":\"x\",}",
                "null",
                "",
            })
    void malformed_json_on_create(String body) {
        expect(400, "invalid", "POST", "/api/jobs", body);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"name\":5}",
                "{\"name\":\"x\",\"total\":\"ten\"}",
                "{\"name\":\"x\",\"total\":1.5}",
                "{\"name\":\"x\",\"total\":-1}",
                "{\"name\":\"x\",\"start\":\"yes\"}",
                "{\"name\":\"x\",\"metadata\":[1]}",
                "{\"name\":\"x\",\"parts\":{}}",
                "{\"name\":\"x\",\"parts\":[1,2]}",
                "{\"name\":\"x\",\"parts\":[]}",
                "{\"name\":\"x\",\"timeout\":\"soon\"}",
                "{\"name\":\"x\",\"timeout\":-5}",
                "{\"name\":\"x\",\"id\":\"has space\"}",
                "{\"name\":\"x\",\"parent\":\"nope\"}",
                "{\"name\":\"  \"}",
                "{\"total\":3}",
                "{\"name\":\"x\",\"colour\":\"red\"}",
                "{\"name\":\"x\",\"total\":99999999999999999999999}",
            })
    void wrong_types_on_create(String body) {
        expect(400, "invalid", "POST", "/api/jobs", body);
    }

    @Test
    void existing_id_is_a_conflict() {
        http.post("/api/jobs", "{\"name\":\"x\",\"id\":\"taken\"}");
        expect(409, "conflict", "POST", "/api/jobs", "{\"name\":\"y\",\"id\":\"taken\"}");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"succeeded\":\"1\"}",
                "{\"succeeded\":-1}",
                "{\"failed\":true}",
                "{\"items\":{}}",
                "{\"items\":[\"a\"]}",
                "{\"items\":[{\"outcome\":\"SUCCESS\"}]}",
                "{\"items\":[{\"key\":\"a\",\"outcome\":\"MAYBE\"}]}",
                "{\"items\":[{\"key\":\"a\",\"extra\":1}]}",
                "{\"message\":7}",
                "{\"bogus\":1}",
                "{broken",
            })
    void wrong_types_on_progress(String body) {
        expect(400, "invalid", "POST", "/api/jobs/" + id + "/progress", body);
    }

    @Test
    void progress_on_a_parts_job_is_rejected() {
        expect(400, "invalid", "POST", "/api/jobs/" + partsJob + "/progress", "{\"succeeded\":1}");
    }

    @Test
    void a_counter_past_2_to_the_53_is_400_naming_it_and_nothing_is_written() {
        String max = "9007199254740991";
        String big = http.post("/api/jobs", "{\"name\":\"big\",\"start\":true,\"total\":" + max + "}")
                .json()
                .get("id")
                .asText();
        String progress = "/api/jobs/" + big + "/progress";
        JsonNode full = http.post(progress, "{\"succeeded\":" + max + "}").json();
        assertThat(full.get("succeeded").asText()).as("read back exactly").isEqualTo(max);
        String[][] refused = {
            {"succeeded", "{\"succeeded\":1}"},
            {"succeeded", "{\"items\":[{\"key\":\"x\",\"outcome\":\"SUCCESS\"}],\"message\":\"m\"}"},
            {"total", "{\"addTotal\":1}"},
            {"succeeded", "{\"succeeded\":9007199254740992}"},
            {"addTotal", "{\"addTotal\":9223372036854775807}"}
        };
        for (String[] r : refused) {
            String before = strip(http.get("/api/jobs/" + big).json())
                    + http.get("/api/jobs/" + big + "/items").body();
            Http.Res res = http.post(progress, r[1]);
            assertThat(res.status()).as(r[1] + " -> " + res.body()).isEqualTo(400);
            assertThat(res.errorCode()).isEqualTo("invalid");
            assertThat(res.json().path("error").path("message").asText())
                    .startsWith(r[0] + ":")
                    .contains(max);
            assertThat(strip(http.get("/api/jobs/" + big).json())
                            + http.get("/api/jobs/" + big + "/items").body())
                    .as("nothing written by " + r[1])
                    .isEqualTo(before);
        }
        expect(400, "invalid", "POST", "/api/jobs", "{\"name\":\"x\",\"total\":9007199254740992}");
    }

    @Test
    void huge_bodies_get_413() {
        String big = "{\"name\":\"" + "x".repeat(10_000) + "\"}";
        expect(413, "too_large", "POST", "/api/jobs", big);
        expect(413, "too_large", "POST", "/api/jobs/" + id + "/progress", "{\"message\":\"" + "y".repeat(5000) + "\"}");
    }

    @ParameterizedTest
    @CsvSource({
        "GET, /api/jobs/no-such-job",
        "DELETE, /api/jobs/no-such-job",
        "POST, /api/jobs/no-such-job/start",
        "POST, /api/jobs/no-such-job/finish",
        "POST, /api/jobs/no-such-job/fail",
        "POST, /api/jobs/no-such-job/cancel",
        "POST, /api/jobs/no-such-job/heartbeat",
        "POST, /api/jobs/no-such-job/parts/0/complete",
        "POST, /api/jobs/no-such-job/parts/0/fail",
        "GET, /api/jobs/no-such-job/parts",
        "GET, /api/jobs/no-such-job/items",
        "GET, /api/jobs/no-such-job/logs",
        "GET, /api/events?job=no-such-job",
        "GET, /api/nothing-here",
    })
    void unknown_ids_get_404(String method, String path) {
        expect(404, "not_found", method, path, method.equals("POST") ? "{}" : null);
    }

    @Test
    void progress_on_unknown_job_is_404() {
        expect(404, "not_found", "POST", "/api/jobs/no-such-job/progress", "{\"succeeded\":1}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "3", "99999999999", "abc", "1.5"})
    void bad_part_numbers_get_400(String n) {
        expect(400, "invalid", "POST", "/api/jobs/" + partsJob + "/parts/" + n + "/complete", null);
        expect(400, "invalid", "POST", "/api/jobs/" + partsJob + "/parts/" + n + "/fail", "{}");
    }

    @Test
    void part_on_job_without_parts_is_400() {
        expect(400, "invalid", "POST", "/api/jobs/" + id + "/parts/0/complete", null);
    }

    @ParameterizedTest
    @CsvSource({
        "/api/jobs?stat=RUNNING",
        "/api/jobs?limit=0",
        "/api/jobs?limit=abc",
        "/api/jobs?limit=5000",
        "/api/jobs?state=DONE",
        "/api/jobs?cursor=garbage!",
        "/api/stats?x=1",
        "/api/events?job=a&scope=b",
        "/api/events?foo=1",
        "/api/jobs/ID?verbose=1",
        "/api/jobs/ID/parts?state=maybe",
        "/api/jobs/ID/parts?page=2",
        "/api/jobs/ID/items?outcome=MAYBE",
        "/api/jobs/ID/logs?after=-4",
        "/health?x=1",
    })
    void unknown_or_bad_query_parameters_get_400(String path) {
        expect(400, "invalid", "GET", path.replace("ID", id), null);
    }

    @Test
    void unknown_query_parameter_on_a_write_is_400() {
        expect(400, "invalid", "POST", "/api/jobs/" + id + "/progress?dry=1", "{\"succeeded\":1}");
        expect(400, "invalid", "POST", "/api/jobs?x=1", "{\"name\":\"x\"}");
    }

    @Test
    void bad_job_ids_get_400() {
        expect(400, "invalid", "GET", "/api/jobs/bad%20id", null);
        expect(400, "invalid", "POST", "/api/jobs/" + "x".repeat(200) + "/start", null);
    }

    @Test
    void conflicts_and_finished_jobs_get_409() {
        http.post("/api/jobs/" + id + "/cancel", null);
        expect(409, "conflict", "POST", "/api/jobs/" + id + "/finish", null);
        expect(409, "conflict", "POST", "/api/jobs/" + id + "/start", null);
        JsonNode refused = http.post("/api/jobs/" + id + "/finish", null).json();
        assertThat(refused.path("state").asText()).isEqualTo("CANCELLED");
        assertThat(refused.path("target").asText()).isEqualTo("SUCCEEDED");
        expect(409, "finished", "POST", "/api/jobs/" + id + "/progress", "{\"succeeded\":1}");
        expect(409, "finished", "POST", "/api/jobs/" + id + "/heartbeat", null);
    }

    @Test
    void progress_and_parts_of_a_cancelled_job_get_409_with_its_state_so_a_worker_stops() {
        http.post("/api/jobs/" + id + "/cancel", "{\"reason\":\"stop\"}");
        http.post("/api/jobs/" + partsJob + "/cancel", null);
        for (String[] call : new String[][] {
            {id, "/progress", "{\"succeeded\":1}"},
            {id, "/progress", "{\"items\":[{\"key\":\"a\",\"outcome\":\"SUCCESS\"}]}"},
            {id, "/heartbeat", null},
            {partsJob, "/parts/0/complete", null},
            {partsJob, "/parts/1/fail", "{\"reason\":\"x\"}"}
        }) {
            expect(409, "finished", "POST", "/api/jobs/" + call[0] + call[1], call[2]);
            assertThat(http.post("/api/jobs/" + call[0] + call[1], call[2])
                            .json()
                            .path("state")
                            .asText())
                    .as(call[1])
                    .isEqualTo("CANCELLED");
        }
        http.post("/api/jobs", "{\"name\":\"done\",\"id\":\"done\",\"start\":true}");
        http.post("/api/jobs/done/finish", null);
        assertThat(http.post("/api/jobs/done/progress", "{\"succeeded\":1}")
                        .json()
                        .path("state")
                        .asText())
                .isEqualTo("SUCCEEDED");
    }

    @Test
    void bodies_on_lifecycle_endpoints_are_checked() {
        expect(400, "invalid", "POST", "/api/jobs/" + id + "/finish", "{\"reslt\":1}");
        expect(400, "invalid", "POST", "/api/jobs/" + id + "/fail", "{\"error\":42}");
        expect(400, "invalid", "POST", "/api/jobs/" + id + "/cancel", "{\"reason\":[]}");
        expect(400, "invalid", "POST", "/api/jobs/" + id + "/start", "{nope");
        expect(400, "invalid", "POST", "/api/jobs/" + partsJob + "/parts/0/fail", "{\"failJob\":\"yes\"}");
    }
}
