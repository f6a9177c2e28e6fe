package io.tally.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.Tally;
import io.tally.micrometer.TallyMetrics;
import io.tally.testing.MutableClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@code /metrics} shows the job meters of {@link TallyMetrics} beside the server's own: what the server wrote and
 * swept when the Tally was built with it, the jobs per state alone when not.
 */
class ServerMetricsTest {
    @Test
    void metricsShowWhatTheServerWroteAndSwept() {
        MutableClock clock = MutableClock.startingNow();
        TallyMetrics metrics = new TallyMetrics();
        try (Tally tally = Tally.builder()
                        .url("memory:")
                        .clock(clock)
                        .instrumentation(metrics)
                        .build();
                TallyServer server = TallyServer.builder()
                        .tally(tally)
                        .metrics(metrics)
                        .port(0)
                        .sweepInterval(null)
                        .build()
                        .start()) {
            Http http = new Http(server.url());
            String counted = id(http.post("/api/jobs", "{\"name\":\"c\",\"start\":true}"));
            http.post("/api/jobs/" + counted + "/progress", "{\"succeeded\":3,\"failed\":1}");
            String map = id(http.post("/api/jobs", "{\"name\":\"m\",\"parts\":[{},{}]}"));
            http.post("/api/jobs/" + map + "/parts/0/complete", null);
            http.post("/api/jobs/" + map + "/parts/0/complete", null); // a redelivery
            http.post("/api/jobs/" + map + "/parts/1/complete", null);
            http.post("/api/jobs", "{\"name\":\"late\",\"start\":true,\"timeout\":10}");
            clock.advance(Duration.ofSeconds(11));
            assertThat(http.post("/api/sweep", null).json().get("timedOut").asInt())
                    .isEqualTo(1);

            String body = http.get("/metrics").body();
            assertThat(body)
                    .contains("tally_records_total{outcome=\"succeeded\"} 3.0")
                    .contains("tally_records_total{outcome=\"failed\"} 1.0")
                    .contains("tally_parts_total{outcome=\"succeeded\"} 2.0")
                    .contains("tally_settles_total 1.0")
                    .contains("tally_sweeps_total{kind=\"timeout\"} 1.0")
                    .contains("tally_jobs{state=\"RUNNING\"} 1.0")
                    .contains("tally_jobs{state=\"SUCCEEDED\"} 1.0")
                    .contains("tally_jobs{state=\"FAILED\"} 1.0")
                    .contains("tally_job_duration_seconds_count{state=\"FAILED\"} 1")
                    .contains("tally_http_requests")
                    .contains("jvm_memory_used_bytes")
                    .doesNotContain("tally_sweep_jobs");
        }
    }

    @Test
    void aTallyBuiltWithoutMetricsShowsTheJobsPerStateOnly() {
        try (Tally tally = Tally.open("memory:");
                TallyServer server =
                        TallyServer.builder().tally(tally).port(0).build().start()) {
            Http http = new Http(server.url());
            http.post("/api/jobs", "{\"name\":\"p\"}");

            String body = http.get("/metrics").body();
            assertThat(body).contains("tally_jobs{state=\"PENDING\"} 1.0").doesNotContain("tally_records_total");
        }
    }

    private static String id(Http.Res created) {
        assertThat(created.status()).isEqualTo(201);
        return created.json().get("id").asText();
    }
}
