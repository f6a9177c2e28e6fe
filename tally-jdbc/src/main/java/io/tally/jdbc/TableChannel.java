package io.tally.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Events between processes on a database without notifications (SQLite, MariaDB): {@link #send} inserts the payload
 * into an events table inside the writer's transaction (so it exists on commit only); {@link #listen} holds a
 * connection of its own and every {@value #POLL_MILLIS} ms reads the rows it has not delivered yet. A process hears
 * another's events within about that interval. The table keeps the last {@value #KEEP} rows (the writers trim it now
 * and then): a listener that falls further behind misses the oldest.
 *
 * <p>Sequence numbers are given when a row is inserted, not when its transaction commits, so with concurrent writers
 * (MariaDB; SQLite has one writer at a time) a row may become visible after rows with higher numbers. The listener
 * therefore remembers the numbers it skipped over and looks for them again on each poll for {@value #GAP_MILLIS} ms
 * (a transaction that long, or a rolled back one, is given up). Rows of one job are in commit order: a write inserts
 * its row after it has locked the job's row.
 *
 * <p>Where the database says cheaply whether another connection committed ({@code PRAGMA data_version} on SQLite), the
 * listener reads the table only then. On a database whose schema predates the table (opened with {@code
 * migrate=false}), writes go on without events for other processes and one warning says to migrate: a write must not
 * fail for the sake of its notification.
 */
public final class TableChannel implements EventChannel {
    private static final Logger log = LoggerFactory.getLogger(TableChannel.class);
    static final long POLL_MILLIS = 100;
    static final long KEEP = 10_000;
    /** How long a skipped sequence number is looked for: a transaction still open that long loses its events. */
    static final long GAP_MILLIS = 5_000;
    /** Skipped numbers remembered at most (a burst of rolled back writes must not grow it without end). */
    private static final int MAX_GAPS = 10_000;

    private static final int TRIM_EVERY = 1_000;

    private final String table;
    private final String changeProbe;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicBoolean warnedMissing = new AtomicBoolean();

    /**
     * @param table the events table (the store's table prefix and {@code events})
     * @param changeProbe a query answering one number that changes when another connection committed, or null to read
     *     the table on every poll
     */
    public TableChannel(String table, String changeProbe) {
        this.table = table;
        this.changeProbe = changeProbe;
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
            long newest;
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(seq), 0) FROM " + table)) {
                rs.next();
                newest = rs.getLong(1);
            }
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE seq <= ?")) {
                ps.setLong(1, newest - KEEP);
                ps.executeUpdate();
            }
        }
    }

    /** @return true (after one warning) if {@code e} says the events table does not exist */
    private boolean missingTable(SQLException e) {
        String m = e.getMessage();
        boolean missing = "42S02".equals(e.getSQLState()) || (m != null && m.contains("no such table"));
        if (missing && warnedMissing.compareAndSet(false, true)) {
            log.warn(
                    "{} is missing (schema older than the events table): other processes do not hear of this process's"
                            + " writes until the store is migrated (tally migrate)",
                    table);
        }
        return missing;
    }

    @Override
    public int maxPayloadBytes() {
        return 64 * 1024;
    }

    @Override
    public AutoCloseable listen(DataSource dataSource, Consumer<String> payloads) {
        return new Listener(dataSource, payloads).start("tally-events-" + table);
    }

    private final class Listener extends ChannelListener {
        private final Consumer<String> payloads;
        /** The highest sequence number read; -1 until the listener has looked (then: events from now on). */
        private long last = -1;
        /** Numbers below {@link #last} not seen yet (a transaction still open, or rolled back), and since when. */
        private final Map<Long, Long> gaps = new LinkedHashMap<>();

        Listener(DataSource dataSource, Consumer<String> payloads) {
            super(dataSource, table, log);
            this.payloads = payloads;
        }

        @Override
        protected void listen(Connection c) throws SQLException, InterruptedException {
            if (last < 0) {
                last = newest(c);
            }
            long version = -1;
            while (!closed()) {
                long v = changeProbe == null ? version + 1 : probe(c);
                if (v != version || !gaps.isEmpty()) {
                    version = v;
                    deliverGaps(c);
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

        private long newest(Connection c) throws SQLException {
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(seq), 0) FROM " + table)) {
                rs.next();
                return rs.getLong(1);
            }
        }

        private long probe(Connection c) throws SQLException {
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery(changeProbe)) {
                rs.next();
                return rs.getLong(1);
            }
        }

        /** Delivers the skipped rows that have appeared since; gives up on those older than {@link #GAP_MILLIS}. */
        private void deliverGaps(Connection c) throws SQLException {
            if (gaps.isEmpty()) {
                return;
            }
            List<Long> wanted = new ArrayList<>(gaps.keySet());
            for (int from = 0; from < wanted.size(); from += 500) {
                List<Long> chunk = wanted.subList(from, Math.min(wanted.size(), from + 500));
                String in = String.join(",", java.util.Collections.nCopies(chunk.size(), "?"));
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT seq, payload FROM " + table + " WHERE seq IN (" + in + ") ORDER BY seq")) {
                    for (int i = 0; i < chunk.size(); i++) {
                        ps.setLong(i + 1, chunk.get(i));
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            gaps.remove(rs.getLong(1));
                            deliver(rs.getString(2));
                        }
                    }
                }
            }
            long expired = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(GAP_MILLIS);
            gaps.values().removeIf(since -> since - expired < 0);
        }

        /** Delivers the rows past the highest read, remembering the numbers skipped over. */
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
                            long seq = rs.getLong(1);
                            skipped(last + 1, seq);
                            last = seq;
                            deliver(rs.getString(2));
                        }
                        more = n == 1000;
                    }
                }
            }
        }

        /** Remembers {@code from..to-1} as skipped (at most {@link #MAX_GAPS}, the oldest forgotten first). */
        private void skipped(long from, long to) {
            long now = System.nanoTime();
            for (long s = Math.max(from, to - MAX_GAPS); s < to; s++) {
                gaps.put(s, now);
            }
            Iterator<Long> oldest = gaps.keySet().iterator();
            while (gaps.size() > MAX_GAPS) {
                oldest.next();
                oldest.remove();
            }
        }

        private void deliver(String payload) {
            try {
                payloads.accept(payload);
            } catch (RuntimeException e) {
                log.warn("could not deliver event {}", payload, e);
            }
        }
    }
}
