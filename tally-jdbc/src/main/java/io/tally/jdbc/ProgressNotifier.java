package io.tally.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the notifications of progress-only writes (counts, items, parts that did not finish the job) outside their
 * transactions: a writer hands over the job id and the parts it recorded after its commit, and one background thread
 * per store sends, at most every {@value #INTERVAL_MILLIS} ms, one notification per job that made progress since the
 * last flush (coalesced, with the parts recorded meanwhile), all in one transaction on a connection it borrows for the
 * flush. Sending {@code pg_notify} inside every write transaction would serialise the commits of the whole server
 * (PostgreSQL takes one global lock from just before a notifying transaction's commit until after it). Progress
 * notifications are best effort: a flush that fails is logged and dropped, and one may arrive after a later lifecycle
 * notification of the same job (listeners read the job's current row either way).
 */
final class ProgressNotifier implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProgressNotifier.class);
    static final long INTERVAL_MILLIS = 100;

    private final EventChannel channel;
    private final DataSource dataSource;
    private final BiFunction<String, Collection<Integer>, String> payload;
    private final String name;
    /** Jobs to notify, each with the parts recorded since the last flush. */
    private final Map<String, Set<Integer>> pending = new ConcurrentHashMap<>();
    /** Set by the first offer after a flush, which wakes the thread (later offers don't, to spare a wake-up each). */
    private final AtomicBoolean scheduled = new AtomicBoolean();

    private final Object startLock = new Object();
    private volatile Thread thread;
    private volatile boolean closed;

    /** @param payload the notification of a job id and its parts recorded since the last one */
    ProgressNotifier(
            EventChannel channel,
            DataSource dataSource,
            BiFunction<String, Collection<Integer>, String> payload,
            String name) {
        this.channel = channel;
        this.dataSource = dataSource;
        this.payload = payload;
        this.name = name;
    }

    /** Schedules one notification for job {@code id} and its recorded {@code parts}; called after the write committed. */
    void offer(String id, Collection<Integer> parts) {
        if (closed) {
            return;
        }
        pending.compute(id, (k, set) -> {
            Set<Integer> s = set == null ? new java.util.HashSet<>() : set;
            s.addAll(parts);
            return s;
        });
        if (scheduled.get() || !scheduled.compareAndSet(false, true)) {
            return;
        }
        Thread t = thread;
        if (t == null) {
            synchronized (startLock) {
                t = thread;
                if (t == null && !closed) {
                    t = new Thread(this::run, "tally-progress-notify-" + name);
                    t.setDaemon(true);
                    thread = t;
                    t.start();
                    return;
                }
            }
        }
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    private void run() {
        long last = 0;
        while (!closed) {
            if (!scheduled.get()) {
                LockSupport.parkNanos(this, 1_000_000_000L);
                continue;
            }
            long wait = last + INTERVAL_MILLIS - System.currentTimeMillis();
            if (wait > 0) {
                LockSupport.parkNanos(this, wait * 1_000_000L);
                continue;
            }
            last = System.currentTimeMillis();
            scheduled.set(false); // before taking the pending jobs: an offer from now on wakes the thread again
            flush();
        }
    }

    /** Sends one notification per pending job, in one transaction. */
    private void flush() {
        List<String> payloads = new ArrayList<>();
        for (String id : pending.keySet()) {
            Set<Integer> parts = pending.remove(id);
            if (parts != null) {
                payloads.add(payload.apply(id, parts));
            }
        }
        if (payloads.isEmpty()) {
            return;
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            boolean committed = false;
            try {
                for (String p : payloads) {
                    channel.send(c, p);
                }
                c.commit();
                committed = true;
            } finally {
                if (!committed) {
                    try {
                        c.rollback();
                    } catch (SQLException e) {
                        log.debug("rollback of progress notifications failed", e);
                    }
                }
                c.setAutoCommit(true);
            }
        } catch (SQLException | RuntimeException e) {
            log.warn("could not send {} progress notification(s) on {}: {}", payloads.size(), name, e.toString());
        }
    }

    /** Sends what is pending and stops the thread. */
    @Override
    public void close() {
        Thread t;
        synchronized (startLock) {
            closed = true;
            t = thread;
        }
        if (t != null) {
            LockSupport.unpark(t);
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            flush();
        }
    }
}
