package io.tally.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tally.Tally;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Clients that send a request's head and then its body slowly, or never, cannot take the threads that answer
 * everyone else: past the bulkhead they get 503 at once, and a body that stalls is ended by the idle timeout.
 */
class SlowBodyTest {
    static final int PERMITS = 4;
    Tally tally;
    TallyServer server;
    Http http;
    final List<Socket> slow = new ArrayList<>();

    @BeforeEach
    void start() {
        tally = Tally.open("memory:");
        server = TallyServer.builder()
                .tally(tally)
                .port(0)
                .maxConcurrentBodies(PERMITS)
                .build()
                .start();
        http = new Http(server.url());
    }

    @AfterEach
    void stop() throws Exception {
        for (Socket s : slow) {
            s.close();
        }
        server.close();
        tally.close();
    }

    /** Opens a POST whose body announces 100 bytes and sends 10: its handler waits for the rest. */
    private Socket stalledBody() throws Exception {
        Socket s = new Socket("127.0.0.1", server.port());
        s.setSoTimeout(15_000);
        OutputStream out = s.getOutputStream();
        out.write(("POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 100\r\n\r\n{\"name\":\"s")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        slow.add(s);
        return s;
    }

    @Test
    void pastTheBulkheadABodyIs503AtOnceWhileReadsAndHealthAreAnswered() throws Exception {
        for (int i = 0; i < PERMITS; i++) {
            stalledBody();
        }
        // The four stalled bodies hold their permits (their handlers wait for the rest of the body).
        await().atMost(Duration.ofSeconds(5))
                .until(() -> http.post("/api/jobs", "{\"name\":\"one more\"}").status() == 503);
        Http.Res busy = http.post("/api/jobs", "{\"name\":\"one more\"}");
        assertThat(busy.status()).isEqualTo(503);
        assertThat(busy.errorCode()).isEqualTo("busy");

        long started = System.nanoTime();
        assertThat(http.get("/health").status()).isEqualTo(200);
        assertThat(http.get("/api/jobs").status()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(1));
        assertThat(http.post("/api/jobs/none/start", null).status())
                .as("a request without a body needs no permit")
                .isEqualTo(404);
        assertThat(tally.stats().values().stream().mapToLong(Long::longValue).sum())
                .isZero();
    }

    @Test
    void aStalledBodyIsEndedByTheIdleTimeoutAndItsPermitReturns() throws Exception {
        Socket s = stalledBody();
        // A body that stops arriving is ended after the idle timeout: the server answers (408) or closes; it lets go.
        InputStream in = s.getInputStream();
        String answer;
        try {
            answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (SocketException reset) {
            answer = "";
        }
        assertThat(answer).startsWith("HTTP/1.1 408").contains("\"code\":\"timeout\"");
        for (int i = 0; i < PERMITS; i++) {
            assertThat(http.post("/api/jobs", "{\"name\":\"after\"}").status()).isEqualTo(201);
        }
    }
}
