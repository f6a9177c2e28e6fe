package io.tally.jdbc.postgres;

import io.tally.jdbc.Dialect;
import io.tally.jdbc.EventChannel;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * PostgreSQL: rows locked with {@code SELECT … FOR UPDATE}, items upserted with {@code INSERT … ON CONFLICT}, JSON
 * columns of type {@code json} (kept verbatim), migrations serialised by an advisory lock, and events carried to other
 * processes by {@code pg_notify} inside each write transaction with a lifecycle event (progress-only writes are
 * notified after their commit, coalesced) and a {@code LISTEN} connection; {@code UPDATE … RETURNING} gives counters a
 * one-statement path.
 */
public final class PostgresDialect extends Dialect {
    /** The PostgreSQL dialect. */
    public static final PostgresDialect INSTANCE = new PostgresDialect();

    private PostgresDialect() {}

    @Override
    public String name() {
        return "postgresql";
    }

    @Override
    public String driverClass() {
        return "org.postgresql.Driver";
    }

    @Override
    public String driverArtifact() {
        return "org.postgresql:postgresql";
    }

    /** {@inheritDoc} PostgreSQL's own driver does (one Sync for the whole string); another may not. */
    @Override
    public boolean sendsStatementsTogether(Connection c) throws SQLException {
        return "PostgreSQL JDBC Driver".equals(c.getMetaData().getDriverName());
    }

    /**
     * {@inheritDoc} The error is a failed cast of a text that says what happened (plain SQL has no RAISE); it is built
     * from the row count, so that it is evaluated only when the count is wrong.
     */
    @Override
    public String failUnlessOneRow(String update) {
        return "WITH changed AS (" + update + " RETURNING 1) SELECT CASE WHEN COUNT(*) = 1 THEN 1"
                + " ELSE CAST('expected to change one row, changed ' || COUNT(*) AS INTEGER) END FROM changed";
    }

    @Override
    public String migrationFolder() {
        return "io/tally/jdbc/postgres";
    }

    @Override
    public String json(String placeholder) {
        return "CAST(" + placeholder + " AS json)";
    }

    @Override
    public String upsertItem(String table) {
        return "INSERT INTO " + table + " (job_id, item_key, outcome, reason) VALUES (?, ?, ?, ?)"
                + " ON CONFLICT (job_id, item_key) DO UPDATE SET outcome = excluded.outcome, reason = excluded.reason";
    }

    @Override
    public void lockMigrations(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
            ps.setString(1, name);
            ps.execute();
        }
    }

    @Override
    public boolean isDuplicateKey(SQLException e) {
        return "23505".equals(e.getSQLState());
    }

    @Override
    public boolean isUnstorableText(SQLException e) {
        return "22021".equals(e.getSQLState()) || "22P05".equals(e.getSQLState());
    }

    @Override
    public EventChannel eventChannel(String namespace) {
        return new PgChannel(namespace);
    }
}
