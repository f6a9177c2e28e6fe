package io.tally.jdbc.mariadb;

import io.tally.jdbc.Dialect;
import io.tally.jdbc.EventChannel;
import io.tally.jdbc.TableChannel;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * MariaDB (and MySQL): rows locked with {@code SELECT … FOR UPDATE} at READ COMMITTED, items upserted with
 * {@code INSERT … ON DUPLICATE KEY UPDATE}, text in {@code utf8mb4_nopad_bin} so keys compare byte for byte (trailing
 * spaces included), migrations serialised by {@code GET_LOCK}. DDL commits implicitly, so every migration statement
 * is written to be re-runnable. Events reach other processes through an events table ({@link TableChannel}).
 */
public final class MariaDbDialect extends Dialect {
    /** The MariaDB dialect. */
    public static final MariaDbDialect INSTANCE = new MariaDbDialect();

    private static final int ER_DUP_ENTRY = 1062;
    private static final int ER_LOCK_WAIT_TIMEOUT = 1205;
    private static final int ER_LOCK_DEADLOCK = 1213;

    private MariaDbDialect() {}

    @Override
    public String name() {
        return "mariadb";
    }

    @Override
    public String driverClass() {
        return "org.mariadb.jdbc.Driver";
    }

    @Override
    public String driverArtifact() {
        return "org.mariadb.jdbc:mariadb-java-client";
    }

    @Override
    public String migrationFolder() {
        return "io/tally/jdbc/mariadb";
    }

    @Override
    public List<Migration> migrations() {
        return withEventsTable();
    }

    /** Events for other processes on the same database: rows of an events table, read every 100 ms. */
    @Override
    public EventChannel eventChannel(String namespace) {
        return new TableChannel(namespace + "events", null);
    }

    @Override
    public String upsertItem(String table) {
        return "INSERT INTO " + table + " (job_id, item_key, outcome, reason) VALUES (?, ?, ?, ?)"
                + " ON DUPLICATE KEY UPDATE outcome = VALUES(outcome), reason = VALUES(reason)";
    }

    @Override
    public void lockMigrations(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT GET_LOCK(?, 60)")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || rs.getInt(1) != 1) {
                    throw new SQLException("could not take the migration lock " + name + " within 60 s");
                }
            }
        }
    }

    @Override
    public void unlockMigrations(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT RELEASE_LOCK(?)")) {
            ps.setString(1, name);
            ps.execute();
        }
    }

    @Override
    public boolean transactionalDdl() {
        return false;
    }

    @Override
    public boolean isDuplicateKey(SQLException e) {
        return e.getErrorCode() == ER_DUP_ENTRY;
    }

    @Override
    public boolean isRetryable(SQLException e) {
        return super.isRetryable(e) || e.getErrorCode() == ER_LOCK_DEADLOCK || e.getErrorCode() == ER_LOCK_WAIT_TIMEOUT;
    }
}
