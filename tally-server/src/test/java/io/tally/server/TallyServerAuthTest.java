package io.tally.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.Tally;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Tokens: writes need the write token; with a read token, reads need one of the two; comparisons are exact. */
class TallyServerAuthTest {
    Tally tally = Tally.open("memory:");
    TallyServer server;

    @AfterEach
    void stop() {
        server.close();
        tally.close();
    }

    private Http start(String token, String readToken) {
        server = TallyServer.builder()
                .tally(tally)
                .port(0)
                .token(token)
                .readToken(readToken)
                .build()
                .start();
        return new Http(server.url());
    }

    @Test
    void write_token_protects_writes_only() {
        Http http = start("s3cret", null);
        Http.Res missing = http.post("/api/jobs", "{\"name\":\"x\"}");
        assertThat(missing.status()).isEqualTo(401);
        assertThat(missing.errorCode()).isEqualTo("unauthorized");
        assertThat(missing.raw().headers().firstValue("WWW-Authenticate")).isPresent();
        http.token = "s3cre";
        assertThat(http.post("/api/jobs", "{\"name\":\"x\"}").status()).isEqualTo(401);
        http.token = "s3cret!";
        assertThat(http.post("/api/jobs", "{\"name\":\"x\"}").status()).isEqualTo(401);
        assertThat(tally.stats().values().stream().mapToLong(Long::longValue).sum())
                .isZero();

        http.token = "s3cret";
        String id = http.post("/api/jobs", "{\"name\":\"x\"}").json().get("id").asText();
        http.token = null;
        assertThat(http.get("/api/jobs/" + id).status()).isEqualTo(200);
        assertThat(http.post("/api/jobs/" + id + "/cancel", null).status()).isEqualTo(401);
        assertThat(http.delete("/api/jobs/" + id).status()).isEqualTo(401);
        assertThat(http.get("/api/jobs/" + id).json().get("state").asText()).isEqualTo("PENDING");
        assertThat(http.get("/").status()).isEqualTo(200);
        assertThat(http.get("/health").status()).isEqualTo(200);
    }

    @Test
    void read_token_protects_reads_and_the_write_token_also_reads() throws Exception {
        Http http = start("writer", "reader");
        assertThat(http.get("/api/jobs").status()).isEqualTo(401);
        assertThat(http.get("/api/events").status()).isEqualTo(401);
        assertThat(http.get("/metrics").status()).isEqualTo(401);
        http.token = "reader";
        assertThat(http.get("/api/jobs").status()).isEqualTo(200);
        assertThat(http.post("/api/jobs", "{\"name\":\"x\"}").status()).isEqualTo(401);
        http.token = "writer";
        assertThat(http.get("/api/jobs").status()).isEqualTo(200);
        assertThat(http.post("/api/jobs", "{\"name\":\"x\"}").status()).isEqualTo(201);
        // The dashboard's EventSource cannot send headers: reads accept the cookie, writes do not.
        HttpResponse<String> viaCookie = http.client.send(
                HttpRequest.newBuilder(URI.create(server.url() + "/api/stats"))
                        .header("Cookie", "tally_token=reader")
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(viaCookie.statusCode()).isEqualTo(200);
        HttpResponse<String> writeViaCookie = http.client.send(
                HttpRequest.newBuilder(URI.create(server.url() + "/api/jobs"))
                        .header("Cookie", "tally_token=writer")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"x\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(writeViaCookie.statusCode()).isEqualTo(401);
    }

    @Test
    void a_session_sets_an_http_only_read_cookie_from_either_token_and_a_wrong_one_gets_none() throws Exception {
        Http http = start("writer", "reader");
        http.token = "reader";
        Http.Res session = http.post("/api/session", null);
        assertThat(session.status()).isEqualTo(204);
        assertThat(session.raw().headers().allValues("Set-Cookie"))
                .containsExactly("tally_token=reader; Path=/api; HttpOnly; SameSite=Strict");
        http.token = "writer";
        assertThat(http.post("/api/session", null).raw().headers().firstValue("Set-Cookie"))
                .hasValue("tally_token=writer; Path=/api; HttpOnly; SameSite=Strict");

        http.token = "nope";
        Http.Res wrong = http.post("/api/session", null);
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.raw().headers().firstValue("Set-Cookie")).isEmpty();

        http.token = "reader";
        assertThat(http.delete("/api/session").raw().headers().firstValue("Set-Cookie"))
                .hasValue("tally_token=; Path=/api; HttpOnly; SameSite=Strict; Max-Age=0");
    }

    @Test
    void without_tokens_a_session_sets_no_cookie() {
        Http http = start(null, null);
        Http.Res session = http.post("/api/session", null);
        assertThat(session.status()).isEqualTo(204);
        assertThat(session.raw().headers().firstValue("Set-Cookie")).isEmpty();
    }
}
