package io.tally.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tally.EventFilter;
import io.tally.JobEvent;
import io.tally.Subscription;
import io.tally.Tally;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The server's one subscription to the store's events, shared by every SSE client.
 *
 * <p>How it works: each event of the store becomes an {@link Emitted} with the next number of a per-server sequence
 * and is kept in a ring buffer of the most recent ones, so a client that reconnects with {@code Last-Event-ID} gets
 * what it missed. The id a client sees is {@code <stream>-<number>}, where the stream names this hub: an id from
 * before a restart or from another server behind the same balancer is not mistaken for one of ours (its numbers mean
 * other events), and that client gets a fresh snapshot instead, which holds the whole state. Why not a sequence kept
 * by the store: it would cost every write on every store one more update, for what a snapshot already gives a client
 * that changed servers. PROGRESS and PART events are coalesced here, once for all clients, to at most one per job per
 * {@link #COALESCE_NANOS}: a burst keeps only its latest snapshot, flushed by a timer when the window ends. Any other
 * event of that job drops the held one, since it carries a newer snapshot. Each event's frame is encoded once and
 * handed to every client's {@link Sink}, which queues it for its connection (a client that falls too far behind is
 * dropped there and, being an EventSource, reconnects and resumes from the buffer). The same timer sends each client
 * a comment line every heartbeat, which keeps idle connections open and finds the ones that are gone.
 */
final class EventHub implements AutoCloseable {
    /** At most 10 progress events per job per second. */
    static final long COALESCE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private static final byte[] HEARTBEAT = ": heartbeat\n\n".getBytes(StandardCharsets.UTF_8);

    /**
     * One event as sent.
     *
     * @param id increasing per hub (sent as {@link #eventId})
     * @param jobId the job
     * @param scope the job's scope, for filtering
     * @param parent the job's parent, for filtering
     * @param frame the whole SSE frame ({@code id}, {@code event}, {@code data}), encoded once for every client
     */
    record Emitted(long id, String jobId, String scope, String parent, byte[] frame) {}

    /** Where a client's events go: its connection. Called under the hub's lock, so it must not block. */
    interface Sink {
        /** Queues bytes for the connection. */
        void send(byte[] frame);

        /** Ends the connection once what is queued is written. */
        void finish();
    }

    /** A connected client: its filter and its sink. */
    record Client(Predicate<Emitted> filter, Sink sink) {}

    private final Object lock = new Object();
    private final ArrayDeque<Emitted> ring = new ArrayDeque<>();
    private final int capacity;
    private final List<Client> clients = new CopyOnWriteArrayList<>();
    private final Map<String, JobEvent> held = new HashMap<>();
    private final Map<String, Long> lastSent = new HashMap<>();
    private final ScheduledExecutorService timer;
    private final Subscription subscription;
    private final String stream = Long.toString(new SecureRandom().nextLong() & Long.MAX_VALUE, 36);
    private long seq;
    private volatile boolean closed;

    EventHub(Tally tally, int capacity, Duration heartbeat) {
        this.capacity = capacity;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tally-sse-coalescer");
            t.setDaemon(true);
            return t;
        });
        this.subscription = tally.subscribe(EventFilter.all(), this::onEvent);
        timer.scheduleWithFixedDelay(this::flushHeld, 50, 50, TimeUnit.MILLISECONDS);
        long beat = heartbeat.toMillis();
        timer.scheduleWithFixedDelay(this::heartbeat, beat, beat, TimeUnit.MILLISECONDS);
    }

    /** Predicate for clients: all events, one job's, a scope's, or a parent's children. */
    static Predicate<Emitted> filter(String job, String scope, String parent) {
        if (job != null) {
            return e -> job.equals(e.jobId());
        }
        if (scope != null) {
            return e -> scope.equals(e.scope());
        }
        if (parent != null) {
            return e -> parent.equals(e.parent()) || parent.equals(e.jobId());
        }
        return e -> true;
    }

    /**
     * Registers a client. Atomically with it, returns what it missed: the buffered events after {@code lastEventId}, or
     * empty if that id is older than the buffer (then the caller sends a fresh snapshot).
     *
     * @param lastEventIdHeader the {@code Last-Event-ID} the client sent, or null for a new client
     * @param sink where the client's events go
     * @param maxClients the most clients at once
     * @throws ApiException 503 when {@code maxClients} are registered already
     * @return the events to replay, and the id the snapshot stands for
     */
    Registration register(Predicate<Emitted> filter, String lastEventIdHeader, Sink sink, int maxClients) {
        long lastEventId = sequenceOf(lastEventIdHeader);
        Client c = new Client(filter, sink);
        synchronized (lock) {
            if (clients.size() >= maxClients) { // checked and added under one lock: two connects cannot pass it
                throw new ApiException(503, "unavailable", "too many event streams (" + maxClients + ")");
            }
            clients.add(c);
            if (closed) {
                sink.finish();
            }
            Optional<List<Emitted>> replay = Optional.empty();
            long oldest = ring.isEmpty() ? seq + 1 : ring.peekFirst().id();
            if (lastEventId >= 0 && lastEventId <= seq && lastEventId >= oldest - 1) {
                List<Emitted> missed = new ArrayList<>();
                for (Emitted e : ring) {
                    if (e.id() > lastEventId && filter.test(e)) {
                        missed.add(e);
                    }
                }
                replay = Optional.of(missed);
            }
            return new Registration(c, replay, eventId(seq));
        }
    }

    /** @return the id a client sees for the event numbered {@code n} */
    String eventId(long n) {
        return stream + "-" + n;
    }

    /** @return the number in one of this hub's ids, or -1 for none, another hub's or a malformed one */
    private long sequenceOf(String id) {
        String prefix = stream + "-";
        if (id == null || !id.startsWith(prefix)) {
            return -1;
        }
        String n = id.substring(prefix.length());
        return n.isEmpty() || n.length() > 18 || !n.chars().allMatch(ch -> ch >= '0' && ch <= '9')
                ? -1
                : Long.parseLong(n);
    }

    /**
     * @param client the client, to {@link #unregister} when its stream ends
     * @param replay the missed events, or empty when a snapshot must be sent
     * @param snapshotId the id of the last event included in a snapshot read after registering
     */
    record Registration(Client client, Optional<List<Emitted>> replay, String snapshotId) {}

    void unregister(Client c) {
        clients.remove(c);
    }

    int clientCount() {
        return clients.size();
    }

    private void onEvent(JobEvent e) {
        long now = System.nanoTime();
        synchronized (lock) {
            String job = e.jobId();
            if (e.type().isCoalesced()) {
                Long last = lastSent.get(job);
                if (!held.containsKey(job) && (last == null || now - last >= COALESCE_NANOS)) {
                    emit(e, now);
                } else {
                    held.put(job, e);
                }
            } else {
                held.remove(job);
                emit(e, now);
            }
        }
    }

    private void heartbeat() {
        synchronized (lock) {
            for (Client c : clients) {
                c.sink().send(HEARTBEAT);
            }
        }
    }

    private void flushHeld() {
        long now = System.nanoTime();
        synchronized (lock) {
            for (Iterator<Map.Entry<String, JobEvent>> it = held.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, JobEvent> h = it.next();
                Long last = lastSent.get(h.getKey());
                if (last == null || now - last >= COALESCE_NANOS) {
                    it.remove();
                    emit(h.getValue(), now);
                }
            }
            // Forget quiet jobs so the map does not grow with every job ever seen.
            lastSent.values().removeIf(t -> now - t > 10 * COALESCE_NANOS);
        }
    }

    private void emit(JobEvent e, long now) {
        ObjectNode data = JobJson.MAPPER.createObjectNode();
        data.put("type", e.type().name());
        if (e.part().isPresent()) {
            data.put("part", e.part().getAsInt());
        }
        data.set("job", JobJson.job(e.snapshot(), false));
        long id = ++seq;
        String frame = "id: " + eventId(id) + "\nevent: " + e.type().name().toLowerCase(Locale.ROOT) + "\ndata: " + data
                + "\n\n";
        Emitted out = new Emitted(
                id,
                e.jobId(),
                e.snapshot().scope().orElse(null),
                e.snapshot().parent().orElse(null),
                frame.getBytes(StandardCharsets.UTF_8));
        lastSent.put(e.jobId(), now);
        ring.addLast(out);
        if (ring.size() > capacity) {
            ring.removeFirst();
        }
        for (Client c : clients) {
            if (c.filter().test(out)) {
                c.sink().send(out.frame());
            }
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            for (Client c : clients) {
                c.sink().finish();
            }
        }
        subscription.close();
        timer.shutdownNow();
    }
}
