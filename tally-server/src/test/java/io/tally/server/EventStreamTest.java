package io.tally.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tally.Job;
import io.tally.JobSpec;
import io.tally.Tally;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Reads the SSE stream: snapshot first, live events, coalescing, heartbeats and Last-Event-ID resume. */
class EventStreamTest {
    Tally tally;
    TallyServer server;
    final HttpClient client = HttpClient.newHttpClient();
    final List<Stream<String>> open = new ArrayList<>();

    @BeforeEach
    void start() {
        tally = Tally.open("memory:");
        server = TallyServer.builder()
                .tally(tally)
                .port(0)
                .sseHeartbeat(Duration.ofMillis(200))
                .build()
                .start();
    }

    @AfterEach
    void stop() {
        open.forEach(Stream::close);
        server.close();
        tally.close();
    }

    /** One SSE event: id, name, data. */
    /** Connects and parses events on a background thread; comments are queued as event ":". */
    BlockingQueue<SseClient.Event> connect(String query, String lastEventId) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + "/api/events" + query))
                .header("Accept", "text/event-stream");
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<Stream<String>> r = client.send(b.build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        open.add(r.body());
        BlockingQueue<SseClient.Event> q = new LinkedBlockingQueue<>();
        Thread t = new Thread(() -> SseClient.read(r.body()::iterator, q::add, true));
        t.setDaemon(true);
        t.start();
        return q;
    }

    /** @return the number in an event id {@code <stream>-<number>} */
    static long number(String id) {
        return Long.parseLong(id.substring(id.lastIndexOf('-') + 1));
    }

    static SseClient.Event next(BlockingQueue<SseClient.Event> q, String event) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            SseClient.Event e = q.poll(100, TimeUnit.MILLISECONDS);
            if (e != null && e.event().equals(event)) {
                return e;
            }
        }
        throw new AssertionError("no '" + event + "' event within 10 s");
    }

    @Test
    void snapshot_first_then_live_events() throws Exception {
        Job existing = tally.create(JobSpec.builder().name("before").build());
        BlockingQueue<SseClient.Event> q = connect("", null);
        SseClient.Event snap = q.poll(10, TimeUnit.SECONDS);
        assertThat(snap.event()).isEqualTo("snapshot");
        assertThat(snap.data().get("jobs").get(0).get("id").asText()).isEqualTo(existing.id());
        assertThat(snap.data().get("stats").get("total").asLong()).isEqualTo(1);

        Job job = tally.create(JobSpec.builder().name("live").total(3).build());
        SseClient.Event created = next(q, "created");
        assertThat(created.data().get("job").get("id").asText()).isEqualTo(job.id());
        job.recordSuccess("a");
        SseClient.Event progress = next(q, "progress");
        assertThat(progress.data().get("job").get("succeeded").asLong()).isGreaterThanOrEqualTo(1);
        job.finish();
        SseClient.Event finished = next(q, "finished");
        assertThat(finished.data().get("job").get("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(number(finished.id())).isGreaterThan(number(created.id()));
    }

    @Test
    void job_filter_and_heartbeats() throws Exception {
        Job mine = tally.create(JobSpec.builder().name("mine").start(true).build());
        Job other = tally.create(JobSpec.builder().name("other").start(true).build());
        BlockingQueue<SseClient.Event> q = connect("?job=" + mine.id(), null);
        SseClient.Event snap = next(q, "snapshot");
        assertThat(snap.data().get("job").get("id").asText()).isEqualTo(mine.id());
        other.cancel(null);
        mine.cancel(null);
        SseClient.Event cancelled = next(q, "cancelled");
        assertThat(cancelled.data().get("job").get("id").asText()).isEqualTo(mine.id());
        assertThat(next(q, ":")).isNotNull();
    }

    @Test
    void progress_is_coalesced_and_the_last_count_arrives() throws Exception {
        Job job = tally.create(
                JobSpec.builder().name("busy").total(2000).start(true).build());
        BlockingQueue<SseClient.Event> q = connect("?job=" + job.id(), null);
        next(q, "snapshot");
        long t0 = System.nanoTime();
        for (int i = 0; i < 2000; i++) {
            job.recordSuccess();
        }
        job.finish();
        List<SseClient.Event> got = new ArrayList<>();
        SseClient.Event e;
        do {
            e = q.poll(10, TimeUnit.SECONDS);
            assertThat(e).isNotNull();
            got.add(e);
        } while (!e.event().equals("finished"));
        // Events reach the server's hub no earlier than the burst starts and no later than "finished" arrives here.
        double seconds = (System.nanoTime() - t0) / 1e9;
        long progress = got.stream().filter(s -> s.event().equals("progress")).count();
        // ≤ 10 per second, plus the first of the burst and one flushed at its end.
        assertThat(progress).isLessThanOrEqualTo((long) Math.ceil(seconds * 10) + 3);
        assertThat(got.get(got.size() - 1).data().get("job").get("succeeded").asLong())
                .isEqualTo(2000);
    }

    @Test
    void a_client_that_missed_three_events_gets_exactly_those_three_on_reconnect() throws Exception {
        BlockingQueue<SseClient.Event> q = connect("", null);
        next(q, "snapshot");
        Job a = tally.create(JobSpec.builder().name("a").build());
        SseClient.Event created = next(q, "created");
        open.forEach(Stream::close);
        // Missed while disconnected:
        Job b = tally.create(JobSpec.builder().name("b").build());
        a.start();
        a.cancel("stop");

        BlockingQueue<SseClient.Event> resumed = connect("", created.id());
        List<SseClient.Event> replayed = new ArrayList<>();
        while (replayed.size() < 3) {
            SseClient.Event e = resumed.poll(10, TimeUnit.SECONDS);
            assertThat(e).as("a replayed event within 10 s").isNotNull();
            if (!e.event().equals(":")) {
                replayed.add(e);
            }
        }
        assertThat(replayed).extracting(SseClient.Event::event).containsExactly("created", "started", "cancelled");
        assertThat(replayed)
                .extracting(e -> e.data().get("job").get("id").asText())
                .containsExactly(b.id(), a.id(), a.id());
        // Nothing else was replayed: the next event is a new one.
        Job c = tally.create(JobSpec.builder().name("c").build());
        SseClient.Event next = next(resumed, "created");
        assertThat(next.data().get("job").get("id").asText()).isEqualTo(c.id());
    }

    @Test
    void an_id_this_server_did_not_give_gets_a_fresh_snapshot() throws Exception {
        BlockingQueue<SseClient.Event> q = connect("", null);
        SseClient.Event snapshot = next(q, "snapshot");
        tally.create(JobSpec.builder().name("a").build());
        String ours = next(q, "created").id();
        assertThat(ours).startsWith(snapshot.id().substring(0, snapshot.id().indexOf('-') + 1));

        // Another server's (or this one's before a restart) ids number other events: replaying by number would be
        // wrong.
        String number = ours.substring(ours.indexOf('-') + 1);
        for (String foreign : List.of("zzz-" + number, "0", number, "999999", ours + "x", "-1", "")) {
            BlockingQueue<SseClient.Event> fresh = connect("", foreign);
            assertThat(next(fresh, "snapshot").data().get("type").asText())
                    .as("Last-Event-ID %s", foreign)
                    .isEqualTo("SNAPSHOT");
        }
    }

    @Test
    void more_streams_than_the_server_has_threads_are_held_and_each_gets_every_event() throws Exception {
        int streams = 300; // Jetty's pool here has at most 250 threads: a stream must not hold one
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < streams; i++) {
                Socket s = new Socket("127.0.0.1", server.port());
                s.setSoTimeout(10_000);
                s.getOutputStream()
                        .write(("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                sockets.add(s);
            }
            for (Socket s : sockets) {
                readUntil(s, "event: snapshot");
            }
            Job job = tally.create(JobSpec.builder().name("seen by all").build());
            for (Socket s : sockets) {
                assertThat(readUntil(s, "event: created")).contains(job.id());
            }
            assertThat(http().get("/health").status()).isEqualTo(200);
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    @Test
    void a_client_that_goes_away_frees_its_slot_by_the_next_heartbeat() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.getOutputStream()
                    .write("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            readUntil(s, "event: snapshot");
            assertThat(streamsOpen()).isEqualTo(1);
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> streamsOpen() == 0);
    }

    @Test
    void a_hundred_abandoned_streams_free_their_slots_within_five_seconds_with_the_default_heartbeat()
            throws Exception {
        try (TallyServer standard =
                TallyServer.builder().tally(tally).port(0).build().start()) {
            Http http = new Http(standard.url());
            List<Socket> sockets = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                Socket s = new Socket("127.0.0.1", standard.port());
                s.setSoTimeout(10_000);
                s.getOutputStream()
                        .write("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                                .getBytes(StandardCharsets.US_ASCII));
                sockets.add(s);
            }
            for (Socket s : sockets) {
                readUntil(s, "event: snapshot");
            }
            assertThat(streamsOpen(http)).isEqualTo(100);
            for (Socket s : sockets) {
                s.close();
            }
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> streamsOpen(http) == 0);
        }
    }

    private Http http() {
        return new Http(server.url());
    }

    /** @return the server's count of open event streams, from /metrics */
    private long streamsOpen() {
        return streamsOpen(http());
    }

    private static long streamsOpen(Http http) {
        return http.get("/metrics")
                .body()
                .lines()
                .filter(l -> l.startsWith("tally_sse_clients "))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1)))
                .findFirst()
                .orElseThrow();
    }

    /** @return what the socket delivered up to and including the line after {@code marker} (an event's data) */
    private static String readUntil(Socket s, String marker) throws Exception {
        BufferedReader in = readers.computeIfAbsent(s, k -> {
            try {
                return new BufferedReader(new InputStreamReader(k.getInputStream(), StandardCharsets.UTF_8));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        StringBuilder seen = new StringBuilder();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            seen.append(line).append('\n');
            if (line.equals(marker)) {
                return seen.append(in.readLine()).toString();
            }
        }
        throw new AssertionError("the stream ended before '" + marker + "': " + seen);
    }

    private static final java.util.Map<Socket, BufferedReader> readers = new java.util.concurrent.ConcurrentHashMap<>();

    @Test
    void too_many_streams_get_503() throws Exception {
        try (TallyServer small = TallyServer.builder()
                .tally(tally)
                .port(0)
                .maxEventStreams(1)
                .build()
                .start()) {
            HttpResponse<Stream<String>> first = client.send(
                    HttpRequest.newBuilder(URI.create(small.url() + "/api/events"))
                            .build(),
                    HttpResponse.BodyHandlers.ofLines());
            open.add(first.body());
            assertThat(first.statusCode()).isEqualTo(200);
            Http.Res second = new Http(small.url()).get("/api/events");
            assertThat(second.status()).isEqualTo(503);
            assertThat(second.errorCode()).isEqualTo("unavailable");
        }
    }

    /**
     * The cap counts open streams, not streams ever opened: one that its client closed frees its slot (noticed at the
     * stream's next write, a heartbeat comment at the latest), so a reconnecting client is not locked out.
     */
    @Test
    void a_closed_stream_frees_its_slot_under_the_cap() throws Exception {
        try (TallyServer small = TallyServer.builder()
                .tally(tally)
                .port(0)
                .maxEventStreams(1)
                .sseHeartbeat(Duration.ofMillis(100))
                .build()
                .start()) {
            HttpRequest events = HttpRequest.newBuilder(URI.create(small.url() + "/api/events"))
                    .build();
            HttpResponse<Stream<String>> first = client.send(events, HttpResponse.BodyHandlers.ofLines());
            assertThat(first.statusCode()).isEqualTo(200);
            assertThat(new Http(small.url()).get("/api/events").status()).isEqualTo(503);
            first.body().close();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                HttpResponse<Stream<String>> again = client.send(events, HttpResponse.BodyHandlers.ofLines());
                open.add(again.body());
                assertThat(again.statusCode()).isEqualTo(200);
            });
        }
    }
}
