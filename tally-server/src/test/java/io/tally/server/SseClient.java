package io.tally.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A test's event-stream client: one real {@code GET /api/events} connection read line by line on a thread of its own,
 * each event kept in arrival order. A test reads them one at a time ({@link #next}), so it can assert the exact
 * sequence, or waits for one that matches ({@link #until}); {@link #seen} is everything received so far.
 */
final class SseClient implements AutoCloseable {
    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static final Duration WAIT = Duration.ofSeconds(15);

    /** One event as received: its {@code id}, its {@code event} name and its {@code data} as JSON. */
    record Event(String id, String event, JsonNode data) {
        /** @return the job the event carries ({@code data.job}) */
        JsonNode job() {
            return data.path("job");
        }

        /** @return the stream part of the id ({@code <stream>-<n>}): which server's hub gave it */
        String stream() {
            return id.substring(0, id.lastIndexOf('-'));
        }
    }

    private final Stream<String> lines;
    private final List<Event> events = new CopyOnWriteArrayList<>();
    private int read;

    private SseClient(Stream<String> lines) {
        this.lines = lines;
        Thread reader = new Thread(this::readAll, "sse-test-client");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Connects to {@code base + /api/events + query}.
     *
     * @param lastEventId sent as {@code Last-Event-ID}, or null for a new client
     */
    static SseClient open(String base, String query, String lastEventId) throws Exception {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(base + "/api/events" + query)).header("Accept", "text/event-stream");
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<Stream<String>> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        return new SseClient(r.body());
    }

    /** @return the next event not read yet, waiting for it */
    Event next() {
        int index = read;
        // Checked at once and then often: Awaitility's default first look after 100 ms would cost that per event.
        await().pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(10))
                .atMost(WAIT)
                .until(() -> events.size() > index);
        read++;
        return events.get(index);
    }

    /** @return the first event from here on that matches, waiting for it; the ones before it are passed over */
    Event until(Predicate<Event> wanted) {
        while (true) {
            Event e = next();
            if (wanted.test(e)) {
                return e;
            }
        }
    }

    /** @return every event received so far, in order */
    List<Event> seen() {
        return List.copyOf(events);
    }

    /** Hangs up, as a client that loses its connection would. */
    @Override
    public void close() {
        lines.close();
    }

    private void readAll() {
        read(lines::iterator, events::add, false);
    }

    /**
     * Reads server-sent events off a stream's lines until it ends or the test hangs up, handing on each event (and,
     * with {@code comments}, each comment line, a heartbeat, as an event named {@code ":"} without data).
     */
    static void read(Iterable<String> lines, java.util.function.Consumer<Event> out, boolean comments) {
        String id = null;
        String event = null;
        StringBuilder data = new StringBuilder();
        try {
            for (String line : lines) {
                if (line.startsWith(":")) {
                    if (comments) {
                        out.accept(new Event(null, ":", null));
                    }
                } else if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data.append(line.substring(6));
                } else if (line.isEmpty() && event != null) {
                    out.accept(new Event(id, event, JobJson.MAPPER.readTree(data.toString())));
                    id = null;
                    event = null;
                    data.setLength(0);
                }
                // "retry:" lines are not events
            }
        } catch (Exception | Error closed) {
            // the test hung up
        }
    }
}
