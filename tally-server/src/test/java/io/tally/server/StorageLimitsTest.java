package io.tally.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.Tally;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What one request may make the store hold is bounded by what is stored, not only by the request's size. */
class StorageLimitsTest {
    @TempDir
    Path dir;

    @Test
    void a_request_for_350000_empty_parts_is_refused_and_the_file_does_not_grow() throws Exception {
        try (Tally tally = Tally.open("sqlite:" + dir.resolve("tally.db"));
                TallyServer server =
                        TallyServer.builder().tally(tally).port(0).build().start()) {
            Http http = new Http(server.url());
            http.post("/api/jobs", "{\"name\":\"warm\"}"); // the schema exists before the size is taken
            long before = storeBytes();

            // 349,512 parts of "{}" fit in a 1 MiB body: stored, they took 151 MiB.
            String body = "{\"name\":\"amplified\",\"parts\":["
                    + String.join(",", java.util.Collections.nCopies(349_512, "{}")) + "]}";
            assertThat(body.length()).isLessThanOrEqualTo(1024 * 1024);
            Http.Res refused = http.post("/api/jobs", body);

            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.errorCode()).isEqualTo("invalid");
            assertThat(refused.json().path("error").path("message").asText())
                    .startsWith("parts: at most 10000 parts per job");
            assertThat(storeBytes()).isEqualTo(before);
            assertThat(http.get("/api/jobs").json().get("jobs")).hasSize(1);
        }
    }

    @Test
    void the_limit_is_configurable_and_inclusive() throws Exception {
        try (Tally tally = Tally.open("memory:");
                TallyServer server = TallyServer.builder()
                        .tally(tally)
                        .port(0)
                        .maxParts(3)
                        .build()
                        .start()) {
            Http http = new Http(server.url());
            assertThat(http.post("/api/jobs", "{\"name\":\"ok\",\"parts\":[{},{},{}]}")
                            .status())
                    .isEqualTo(201);
            assertThat(http.post("/api/jobs", "{\"name\":\"no\",\"parts\":[{},{},{},{}]}")
                            .status())
                    .isEqualTo(400);
        }
    }

    @Test
    void items_per_request_and_metadata_bytes_are_bounded_too_and_refusals_write_nothing() throws Exception {
        try (Tally tally = Tally.open("memory:");
                TallyServer server = TallyServer.builder()
                        .tally(tally)
                        .port(0)
                        .maxItemsPerRequest(2)
                        .maxMetadataBytes(20)
                        .build()
                        .start()) {
            Http http = new Http(server.url());
            Http.Res big = http.post("/api/jobs", "{\"name\":\"m\",\"metadata\":{\"k\":\"0123456789abcdef\"}}");
            assertThat(big.status()).isEqualTo(400);
            assertThat(big.json().path("error").path("message").asText()).startsWith("metadata: at most 20 bytes");
            assertThat(http.get("/api/jobs").json().get("jobs")).isEmpty();

            String id = http.post("/api/jobs", "{\"name\":\"m\",\"metadata\":{\"k\":\"v\"}}")
                    .json()
                    .get("id")
                    .asText();
            String three =
                    "{\"items\":[{\"key\":\"a\",\"outcome\":\"SUCCESS\"},{\"key\":\"b\",\"outcome\":\"SUCCESS\"},"
                            + "{\"key\":\"c\",\"outcome\":\"SUCCESS\"}]}";
            Http.Res refused = http.post("/api/jobs/" + id + "/progress", three);
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.json().path("error").path("message").asText())
                    .startsWith("items: at most 2 per request");
            assertThat(tally.get(id).progress().succeeded()).isZero();
        }
    }

    /** @return the bytes of the SQLite file and its write-ahead log */
    private long storeBytes() throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith("tally.db"))
                    .mapToLong(f -> f.toFile().length())
                    .sum();
        }
    }
}
