package io.tally.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.JobState;
import io.tally.Tally;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** DNS rebinding: a request naming a host the server does not serve is refused on every route, and changes nothing. */
class HostGuardTest {
    Tally tally;
    TallyServer server;
    String job;

    @BeforeEach
    void start() {
        tally = Tally.open("memory:");
        server = TallyServer.builder()
                .tally(tally)
                .port(0)
                .allowedHosts(List.of("tally.internal"))
                .build()
                .start();
        job = tally.create(io.tally.JobSpec.builder().name("j").build()).id();
    }

    @AfterEach
    void stop() {
        server.close();
        tally.close();
    }

    private RawHttp.Answer get(String path, String host) throws Exception {
        return RawHttp.send(server.port(), "GET " + path + " HTTP/1.1\r\nHost: " + host, "");
    }

    @Test
    void aForeignHostGets421OnEveryKindOfRouteAndACancelChangesNothing() throws Exception {
        String foreign = "attacker.example:" + server.port();
        for (String path : List.of(
                "/",
                "/app.js",
                "/health",
                "/metrics",
                "/api/jobs",
                "/api/jobs/" + job,
                "/api/events",
                "/api/openapi.json",
                "/no/such/page")) {
            RawHttp.Answer a = get(path, foreign);
            assertThat(a.status()).as(path).isEqualTo(421);
            assertThat(a.errorCode()).as(path).isEqualTo("misdirected");
        }
        RawHttp.Answer cancel =
                RawHttp.send(server.port(), "POST /api/jobs/" + job + "/cancel HTTP/1.1\r\nHost: " + foreign, "{}");
        assertThat(cancel.status()).isEqualTo(421);
        assertThat(tally.get(job).snapshot().state()).isEqualTo(JobState.PENDING);
    }

    @Test
    void theLoopbackNamesAndAnAllowedHostAreServed() throws Exception {
        for (String host : List.of(
                "127.0.0.1:" + server.port(),
                "localhost:" + server.port(),
                "LOCALHOST",
                "[::1]:" + server.port(),
                "tally.internal",
                "tally.internal:443")) {
            assertThat(get("/api/jobs/" + job, host).status()).as(host).isEqualTo(200);
        }
    }

    @Test
    void aServerBoundToEveryInterfaceTakesAnyHostUntilSomeAreAllowed() throws Exception {
        try (TallyServer open = TallyServer.builder()
                        .tally(tally)
                        .host("0.0.0.0")
                        .port(0)
                        .build()
                        .start();
                TallyServer named = TallyServer.builder()
                        .tally(tally)
                        .host("0.0.0.0")
                        .port(0)
                        .allowedHosts(Set.of("jobs.example.com"))
                        .build()
                        .start()) {
            String head = "GET /health HTTP/1.1\r\nHost: ";
            assertThat(RawHttp.send(open.port(), head + "anything.example", "").status())
                    .isEqualTo(200);
            assertThat(RawHttp.send(named.port(), head + "anything.example", "").status())
                    .isEqualTo(421);
            assertThat(RawHttp.send(named.port(), head + "jobs.example.com", "").status())
                    .isEqualTo(200);
            assertThat(RawHttp.send(named.port(), head + "127.0.0.1", "").status())
                    .isEqualTo(200);
        }
    }

    @Test
    void aMalformedAllowedHostIsRefused() {
        assertThatThrownBy(() -> TallyServer.builder().allowedHosts(List.of("a b")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("a b");
        assertThatThrownBy(() -> TallyServer.builder().allowedHosts(List.of(" ")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
