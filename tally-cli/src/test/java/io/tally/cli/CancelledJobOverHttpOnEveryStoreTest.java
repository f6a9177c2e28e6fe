package io.tally.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tally.Job;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.Tally;
import io.tally.server.TallyServer;
import io.tally.testing.TestServices;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A worker in any language learns over HTTP that its job was cancelled elsewhere: on every store, progress, heartbeat
 * and part calls on a job cancelled through another {@code Tally} answer 409 with {@code "state":"CANCELLED"}, and
 * change nothing.
 */
class CancelledJobOverHttpOnEveryStoreTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String unique =
            "ch" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql", "mariadb", "redis"})
    void callsOnAJobCancelledElsewhereGet409WithItsState(String store) throws Exception {
        String url = TestServices.isolatedUrl(store, dir, unique);
        try (Tally served = Tally.open(url);
                Tally elsewhere = Tally.open(url);
                TallyServer server =
                        TallyServer.builder().tally(served).port(0).build().start()) {
            Job job =
                    elsewhere.create(JobSpec.builder().name("counted").total(10).build());
            Job parts = elsewhere.create(JobSpec.builder()
                    .name("parts")
                    .parts(List.of(Map.of(), Map.of()))
                    .build());
            post(server, "/api/jobs/" + job.id() + "/progress", "{\"succeeded\":1}");
            elsewhere.get(job.id()).cancel("stop");
            elsewhere.get(parts.id()).cancel(null);

            for (String call : List.of(
                    "/api/jobs/" + job.id() + "/progress {\"succeeded\":1}",
                    "/api/jobs/" + job.id() + "/heartbeat ",
                    "/api/jobs/" + parts.id() + "/parts/0/complete ",
                    "/api/jobs/" + parts.id() + "/parts/1/fail {\"reason\":\"x\"}")) {
                String[] pathAndBody = call.split(" ", 2);
                HttpResponse<String> r = post(server, pathAndBody[0], pathAndBody[1]);
                assertThat(r.statusCode()).as(call).isEqualTo(409);
                JsonNode body = JSON.readTree(r.body());
                assertThat(body.path("state").asText()).as(call).isEqualTo("CANCELLED");
                assertThat(body.path("error").path("code").asText()).as(call).isEqualTo("finished");
            }
            assertThat(elsewhere.get(job.id()).progress().succeeded()).isEqualTo(1);
            assertThat(elsewhere.snapshot(parts.id()).orElseThrow().state()).isEqualTo(JobState.CANCELLED);
            elsewhere.delete(job.id());
            elsewhere.delete(parts.id());
        } finally {
            TestServices.dropIsolated(store, unique);
        }
    }

    private HttpResponse<String> post(TallyServer server, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path));
        if (body.isEmpty()) {
            b.POST(HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
