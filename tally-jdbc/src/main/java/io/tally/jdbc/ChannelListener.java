package io.tally.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;

/**
 * The thread behind an {@link EventChannel#listen}: holds one connection of its own and runs {@link #listen} on it
 * until closed; when the connection breaks it reconnects, after a pause that grows from 100 ms to 5 s. What the
 * channel does on the connection (LISTEN and poll, or read new rows) is its subclass's.
 */
public abstract class ChannelListener implements Runnable, AutoCloseable {
    private final DataSource dataSource;
    private final Logger log;
    private final String name;
    private volatile boolean closed;
    private volatile Thread thread;

    /**
     * @param name what is listened to, for the thread's name and the log
     * @param log the channel's logger
     */
    protected ChannelListener(DataSource dataSource, String name, Logger log) {
        this.dataSource = dataSource;
        this.name = name;
        this.log = log;
    }

    /** Starts the listener on a daemon thread. @return this, to close */
    public final ChannelListener start(String threadName) {
        Thread t = new Thread(this, threadName);
        t.setDaemon(true);
        thread = t;
        t.start();
        return this;
    }

    /**
     * Listens on {@code c} until {@link #closed()}; returns or throws when the connection fails.
     *
     * @throws InterruptedException when closed while waiting
     */
    protected abstract void listen(Connection c) throws SQLException, InterruptedException;

    /**
     * @return the pause before the next connection after {@code e} (the default: log it and grow the pause); a
     *     channel that knows a failure needs no warning each time returns its own pause
     */
    protected long failed(Exception e, long pause) {
        log.warn("listening on {} failed, again in {} ms: {}", name, pause, e.toString());
        return Math.min(5000, pause * 2);
    }

    /** @return true once {@link #close()} was called */
    protected final boolean closed() {
        return closed;
    }

    @Override
    public final void run() {
        long pause = 100;
        while (!closed) {
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(true);
                pause = 100;
                listen(c);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (SQLException | RuntimeException e) {
                if (closed) {
                    break;
                }
                long next = failed(e, pause);
                try {
                    TimeUnit.MILLISECONDS.sleep(pause);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
                pause = next;
            }
        }
    }

    /** Stops listening: wakes the thread and waits up to 2 s for it. */
    @Override
    public final void close() {
        closed = true;
        Thread t = thread;
        if (t != null && t != Thread.currentThread()) {
            t.interrupt();
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
