package io.tally.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the notifications of progress-only writes outside their transactions: a writer hands over the job id after its
 * commit, and one background thread per store sends, at most every {@value #INTERVAL_MILLIS} ms, one notification per
 * job that made progress since the last flush (coalesced), all in one transaction on a connection it borrows for the
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
    private final Function<String, String> payload;
    private final String name;
    private final Set<String> pending = ConcurrentHashMap.newKeySet();
    private final Object startLock = new Object();
    private volatile Thread thread;
    private volatile boolean closed;

    ProgressNotifier(EventChannel channel, DataSource dataSource, Function<String, String> payload, String name) {
        this.channel = channel;
        this.dataSource = dataSource;
        this.payload = payload;
        this.name = name;
    }

    /** Schedules one notification for job {@code id}; called after the write committed. */
    void offer(String id) {
        if (closed) {
            return;
        }
        pending.add(id);
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
            if (pending.isEmpty()) {
                LockSupport.parkNanos(this, 1_000_000_000L);
                continue;
            }
            long wait = last + INTERVAL_MILLIS - System.currentTimeMillis();
            if (wait > 0) {
                LockSupport.parkNanos(this, wait * 1_000_000L);
                continue;
            }
            last = System.currentTimeMillis();
            flush();
        }
    }

    /** Sends one notification per pending job, in one transaction. */
    private void flush() {
        List<String> ids = new ArrayList<>();
        for (String id : pending) {
            if (pending.remove(id)) {
                ids.add(id);
            }
        }
        if (ids.isEmpty()) {
            return;
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            boolean committed = false;
            try {
                for (String id : ids) {
                    channel.send(c, payload.apply(id));
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
            log.warn("could not send {} progress notification(s) on {}: {}", ids.size(), name, e.toString());
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
