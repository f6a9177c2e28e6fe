package io.tally.jdbc.sqlite;

import io.tally.jdbc.ChannelListener;
import io.tally.jdbc.EventChannel;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Events between processes on one SQLite file, which has no notifications: {@link #send} inserts the payload into an
 * events table inside the writer's transaction (so it exists on commit only, in commit order); {@link #listen} holds a
 * connection of its own and every {@value #POLL_MILLIS} ms asks {@code PRAGMA data_version}, which changes when
 * another connection has committed, and only then reads the rows past the last it delivered. A process hears another's
 * events within about that interval. The table keeps the last {@value #KEEP} rows (the writers trim it now and then):
 * a listener that falls further behind misses the oldest.
 *
 * <p>On a file whose schema predates the table (opened with {@code migrate=false}), writes go on without events for
 * other processes and one warning says to migrate: a write must not fail for the sake of its notification. (SQLite
 * keeps a transaction open after a statement fails, so the write is not lost.)
 */
final class SqliteChannel implements EventChannel {
    private static final Logger log = LoggerFactory.getLogger(SqliteChannel.class);
    static final long POLL_MILLIS = 100;
    static final long KEEP = 10_000;
    private static final int TRIM_EVERY = 1_000;

    private final String table;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicBoolean warnedMissing = new AtomicBoolean();

    SqliteChannel(String table) {
        this.table = table;
    }

    @Override
    public void send(Connection c, String payload) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (payload) VALUES (?)")) {
            ps.setString(1, payload);
            ps.executeUpdate();
        } catch (SQLException e) {
            if (!missingTable(e)) {
                throw e;
            }
            return;
        }
        if (sent.incrementAndGet() % TRIM_EVERY == 0) {
            try (Statement s = c.createStatement()) {
                s.executeUpdate(
                        "DELETE FROM " + table + " WHERE seq <= (SELECT MAX(seq) FROM " + table + ") - " + KEEP);
            }
        }
    }

    /** @return true (after one warning) if {@code e} says the events table does not exist */
    private boolean missingTable(SQLException e) {
        String m = e.getMessage();
        if (m == null || !m.contains("no such table")) {
            return false;
        }
        if (warnedMissing.compareAndSet(false, true)) {
            log.warn(
                    "{} is missing (schema older than version 2): other processes do not hear of this process's writes"
                            + " until the store is migrated (tally migrate)",
                    table);
        }
        return true;
    }

    @Override
    public int maxPayloadBytes() {
        return 64 * 1024;
    }

    @Override
    public AutoCloseable listen(DataSource dataSource, Consumer<String> payloads) {
        return new Listener(dataSource, payloads).start("tally-sqlite-events-" + table);
    }

    private final class Listener extends ChannelListener {
        private final Consumer<String> payloads;
        private long last = -1; // the last seq delivered; -1 until the listener has looked (then: events from now on)

        Listener(DataSource dataSource, Consumer<String> payloads) {
            super(dataSource, table, log);
            this.payloads = payloads;
        }

        @Override
        protected void listen(Connection c) throws SQLException, InterruptedException {
            if (last < 0) {
                last = maxSeq(c);
            }
            long version = -1;
            while (!closed()) {
                long v = dataVersion(c);
                if (v != version) {
                    version = v;
                    deliverAfter(c);
                }
                TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
            }
        }

        @Override
        protected long failed(Exception e, long pause) {
            if (e instanceof SQLException sql && missingTable(sql)) {
                return 5000; // until someone migrates
            }
            return super.failed(e, pause);
        }

        private long maxSeq(Connection c) throws SQLException {
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(seq), 0) FROM " + table)) {
                rs.next();
                return rs.getLong(1);
            }
        }

        private long dataVersion(Connection c) throws SQLException {
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("PRAGMA data_version")) {
                rs.next();
                return rs.getLong(1);
            }
        }

        private void deliverAfter(Connection c) throws SQLException {
            boolean more = true;
            while (more && !closed()) {
                more = false;
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT seq, payload FROM " + table + " WHERE seq > ? ORDER BY seq LIMIT 1000")) {
                    ps.setLong(1, last);
                    try (ResultSet rs = ps.executeQuery()) {
                        int n = 0;
                        while (rs.next()) {
                            n++;
                            last = rs.getLong(1);
                            String payload = rs.getString(2);
                            try {
                                payloads.accept(payload);
                            } catch (RuntimeException e) {
                                log.warn("could not deliver event {}", payload, e);
                            }
                        }
                        more = n == 1000;
                    }
                }
            }
        }
    }
}
