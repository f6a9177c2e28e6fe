package io.tally.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.tally.Job;
import io.tally.JobSpec;
import io.tally.Tally;
import io.tally.server.TallyServer;
import io.tally.testing.TestServices;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * What an HTTP client is told when the store fails: a store that does not answer is 503 {@code unavailable} without
 * the driver's words (no SQL, no host, no URL, no password); a write that was sent and not answered is 503
 * {@code outcome_unknown}, which says a retry is safe only for keyed calls.
 */
class StoreFailuresOverHttpTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aStoreThatDoesNotAnswerIs503WithoutTheDriversWords() throws Exception {
        String down = "postgresql://postgres:s3cret@127.0.0.1:1/test?connectTimeout=300&migrate=false";
        try (Tally tally = Tally.open(down);
                TallyServer server =
                        TallyServer.builder().tally(tally).port(0).build().start()) {
            for (String path : new String[] {"/api/jobs/some-id", "/api/jobs", "/health"}) {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(URI.create(server.url() + path)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(path).isEqualTo(503);
                assertThat(r.body())
                        .as(path)
                        .contains("the store is unavailable")
                        .doesNotContain("127.0.0.1:1", "postgres", "s3cret", "***", "SQL", "Connection");
            }
        }
    }

    @Test
    void aWriteSentAndNotAnsweredIs503OutcomeUnknown() throws Exception {
        String url = TestServices.withOption(
                TestServices.redisUrl(),
                "namespace=ou" + UUID.randomUUID().toString().replace("-", "").substring(0, 10) + "&timeout=300ms");
        try (Tally tally = Tally.open(url);
                TallyServer server =
                        TallyServer.builder().tally(tally).port(0).build().start()) {
            Job job = tally.create(JobSpec.builder().name("paused").start(true).build());
            HttpResponse<String> r;
            pause(1500); // Redis holds the write past the store's timeout: sent, not answered in time
            r = http.send(
                    HttpRequest.newBuilder(URI.create(server.url() + "/api/jobs/" + job.id() + "/progress"))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"succeeded\":1}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(503);
            JsonNode error = JSON.readTree(r.body()).path("error");
            assertThat(error.path("code").asText()).isEqualTo("outcome_unknown");
            assertThat(error.path("message").asText())
                    .contains("may or may not have been applied")
                    .contains("safe for keyed calls")
                    .doesNotContain("127.0.0.1");
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .ignoreExceptions()
                    .until(() -> tally.delete(job.id()));
        }
    }

    /** Pauses the test Redis's writes for {@code millis} (CLIENT PAUSE … WRITE), on a connection of its own. */
    private static void pause(int millis) {
        RedisClient admin = RedisClient.create(TestServices.redisUrl());
        try (StatefulRedisConnection<String, String> c = admin.connect()) {
            io.lettuce.core.protocol.CommandArgs<String, String> args = new io.lettuce.core.protocol.CommandArgs<>(
                            io.lettuce.core.codec.StringCodec.UTF8)
                    .add("PAUSE")
                    .add(millis)
                    .add("WRITE"); // reads go on: the route reads the job before it writes
            c.sync()
                    .dispatch(
                            io.lettuce.core.protocol.CommandType.CLIENT,
                            new io.lettuce.core.output.StatusOutput<>(io.lettuce.core.codec.StringCodec.UTF8),
                            args);
        } finally {
            admin.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        }
    }
}
