package io.tally.redis;

import io.tally.EventType;
import io.tally.store.JobRecord;
import io.tally.store.StoreEvent;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trailing edge of the functions' coalesced progress messages. A job's write function publishes a message of
 * progress alone at most once per {@value #QUIET_MILLIS} ms or so (lib.lua's {@code publish_events}), so what the writes
 * after it did is not published: once a job's messages have stopped for {@value #QUIET_MILLIS} ms, this reads it again
 * and, if it changed since its last message, hands the listeners a PROGRESS event with it. A job that finished is not
 * read (its FINISHED message carried it, and a PROGRESS after it would read as if it ran on).
 *
 * <p>One read per job that went quiet, on a thread of its own (never the connection's I/O thread, where a blocking
 * read would wait for its own reply). Every event goes to the listeners through {@link #deliver}, so what a read found
 * is handed on only if no message about the job came while it read.
 */
final class TrailingProgress implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TrailingProgress.class);

    /** How long a job's messages stop before it is read: lib.lua's PUBLISH_EVERY and a margin for the wire. */
    static final long QUIET_MILLIS = 150;

    private final Function<String, Optional<JobRecord>> read;
    private final Consumer<StoreEvent> listeners;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tally-redis-trailing-progress");
        t.setDaemon(true);
        return t;
    });

    /** Per job heard and not yet read: its record as last heard, and when. */
    private final Map<String, Heard> jobs = new ConcurrentHashMap<>();

    private record Heard(JobRecord job, long atNanos) {}

    /**
     * @param read reads a job from the store
     * @param listeners where an event the reads find goes
     */
    TrailingProgress(Function<String, Optional<JobRecord>> read, Consumer<StoreEvent> listeners) {
        this.read = read;
        this.listeners = listeners;
    }

    /**
     * Hands a published event to the listeners and notes it; the first of a job's burst arms its read. The same lock
     * as a read's event: one read before a FINISHED is not handed on after it.
     */
    synchronized void deliver(StoreEvent e) {
        listeners.accept(e);
        String id = e.record().id();
        if (e.record().state().isTerminal() || e.type() == EventType.DELETED) {
            jobs.remove(id);
            return;
        }
        if (e.type() != EventType.PROGRESS) {
            return; // only messages of progress alone are coalesced
        }
        if (jobs.put(id, new Heard(e.record(), System.nanoTime())) == null) {
            schedule(id, QUIET_MILLIS);
        }
    }

    private void schedule(String id, long millis) {
        try {
            timer.schedule(() -> check(id), millis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closed) {
            jobs.remove(id);
        }
    }

    private void check(String id) {
        Heard h = jobs.get(id);
        if (h == null) {
            return;
        }
        long quietFor = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - h.atNanos());
        if (quietFor < QUIET_MILLIS) {
            schedule(id, QUIET_MILLIS - quietFor);
            return;
        }
        try {
            read.apply(id)
                    .filter(now -> !now.state().isTerminal() && progressed(h.job(), now))
                    .ifPresent(now -> handOn(id, h, now));
        } catch (RuntimeException e) {
            log.debug("could not read job {} for its last progress: {}", id, e.toString());
        }
        if (!jobs.remove(id, h)) {
            schedule(id, QUIET_MILLIS); // heard again meanwhile: read once that burst is over
        }
    }

    /** @return whether a write of progress changed the job (a heartbeat, which renews the lease, is not one) */
    private static boolean progressed(JobRecord before, JobRecord now) {
        return now.succeeded() != before.succeeded()
                || now.failed() != before.failed()
                || now.total() != before.total()
                || !java.util.Objects.equals(now.message(), before.message());
    }

    /** Hands on what a read found, unless a message came meanwhile (it was heard after, or the job finished). */
    private synchronized void handOn(String id, Heard h, JobRecord now) {
        if (jobs.get(id) == h) {
            listeners.accept(new StoreEvent(EventType.PROGRESS, now, -1));
        }
    }

    /** Forgets the jobs heard: nobody listens any more. */
    void clear() {
        jobs.clear();
    }

    @Override
    public void close() {
        timer.shutdownNow();
        jobs.clear();
    }
}
