package io.tally.jdbc.postgres;

import io.tally.jdbc.EventChannel;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code LISTEN/NOTIFY} on one channel per schema and table prefix. {@link #send} calls {@code pg_notify} inside the
 * writer's transaction, so PostgreSQL delivers it on commit only. {@link #listen} holds one connection that has run
 * {@code LISTEN} and polls it for notifications; when the connection breaks it reconnects (with a growing pause, at
 * most 5 s) and listens again. Notifications sent while no listener was connected are not replayed.
 */
final class PgChannel implements EventChannel {
    private static final Logger log = LoggerFactory.getLogger(PgChannel.class);
    private final String channel;

    PgChannel(String namespace) {
        String c = (namespace + "events").replaceAll("[^a-z0-9_]", "_");
        this.channel = c.length() > 63 ? c.substring(c.length() - 63) : c;
    }

    @Override
    public void send(Connection c, String payload) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            ps.setString(1, channel);
            ps.setString(2, payload);
            ps.execute();
        }
    }

    @Override
    public int maxPayloadBytes() {
        return 7900;
    }

    @Override
    public AutoCloseable listen(DataSource dataSource, Consumer<String> payloads) {
        Listener l = new Listener(dataSource, payloads);
        Thread t = new Thread(l, "tally-pg-listen-" + channel);
        t.setDaemon(true);
        l.thread = t;
        t.start();
        return l;
    }

    private final class Listener implements Runnable, AutoCloseable {
        private final DataSource dataSource;
        private final Consumer<String> payloads;
        private volatile boolean closed;
        private volatile Thread thread;

        Listener(DataSource dataSource, Consumer<String> payloads) {
            this.dataSource = dataSource;
            this.payloads = payloads;
        }

        @Override
        public void run() {
            long pause = 100;
            while (!closed) {
                try (Connection c = dataSource.getConnection()) {
                    c.setAutoCommit(true);
                    try (Statement s = c.createStatement()) {
                        s.execute("LISTEN \"" + channel + "\"");
                    }
                    PGConnection pg = c.unwrap(PGConnection.class);
                    pause = 100;
                    while (!closed) {
                        PGNotification[] ns = pg.getNotifications(250);
                        if (ns == null) {
                            continue;
                        }
                        for (PGNotification n : ns) {
                            try {
                                payloads.accept(n.getParameter());
                            } catch (RuntimeException e) {
                                log.warn("could not deliver notification {}", n.getParameter(), e);
                            }
                        }
                    }
                } catch (SQLException | RuntimeException e) {
                    if (closed) {
                        break;
                    }
                    log.warn("LISTEN {} failed, reconnecting in {} ms: {}", channel, pause, e.toString());
                    try {
                        TimeUnit.MILLISECONDS.sleep(pause);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                    pause = Math.min(5000, pause * 2);
                }
            }
        }

        @Override
        public void close() {
            closed = true;
            Thread t = thread;
            if (t != null && t != Thread.currentThread()) {
                try {
                    t.join(2000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
