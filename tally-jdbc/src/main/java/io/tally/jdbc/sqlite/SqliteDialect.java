package io.tally.jdbc.sqlite;

import io.tally.jdbc.Dialect;
import io.tally.jdbc.EventChannel;
import io.tally.jdbc.TableChannel;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * SQLite: one writer at a time. Write transactions start with {@code BEGIN IMMEDIATE}, which takes the database's
 * write lock up front (waiting up to {@code busy_timeout} for another process), so the reads that guard a write see
 * the stored state and two processes on one file never interleave. The store also serialises its own writers on one
 * in-process lock. There is no {@code FOR UPDATE}: the write lock covers the whole database.
 */
public final class SqliteDialect extends Dialect {
    /** The SQLite dialect. */
    public static final SqliteDialect INSTANCE = new SqliteDialect();

    private static final int SQLITE_BUSY = 5;
    private static final int SQLITE_LOCKED = 6;
    private static final int SQLITE_CONSTRAINT = 19;

    private SqliteDialect() {}

    @Override
    public String name() {
        return "sqlite";
    }

    @Override
    public String driverClass() {
        return "org.sqlite.JDBC";
    }

    @Override
    public String driverArtifact() {
        return "org.xerial:sqlite-jdbc";
    }

    @Override
    public String migrationFolder() {
        return "io/tally/jdbc/sqlite";
    }

    @Override
    public List<Migration> migrations() {
        return withEventsTable();
    }

    /**
     * Events for other processes on the same file: rows of an events table ({@link TableChannel}), read when {@code
     * PRAGMA data_version} says another connection committed.
     */
    @Override
    public EventChannel eventChannel(String namespace) {
        return new TableChannel(namespace + "events", "PRAGMA data_version");
    }

    /** sqlite-jdbc calls into SQLite for each column's name, value and type: one packed column is cheaper. */
    @Override
    public boolean packsJobRows() {
        return true;
    }

    @Override
    public String forUpdate() {
        return "";
    }

    @Override
    public String upsertItem(String table) {
        return "INSERT INTO " + table + " (job_id, item_key, outcome, reason) VALUES (?, ?, ?, ?)"
                + " ON CONFLICT (job_id, item_key) DO UPDATE SET outcome = excluded.outcome, reason = excluded.reason";
    }

    @Override
    public boolean singleWriter() {
        return true;
    }

    @Override
    public void beginWrite(Connection c) throws SQLException {
        if (!c.getAutoCommit()) {
            c.setAutoCommit(true);
        }
        exec(c, "BEGIN IMMEDIATE");
    }

    @Override
    public void commit(Connection c) throws SQLException {
        exec(c, "COMMIT");
    }

    @Override
    public void rollback(Connection c) throws SQLException {
        exec(c, "ROLLBACK");
    }

    @Override
    public boolean isDuplicateKey(SQLException e) {
        String m = String.valueOf(e.getMessage());
        return e.getErrorCode() == SQLITE_CONSTRAINT && (m.contains("PRIMARYKEY") || m.contains("UNIQUE"));
    }

    @Override
    public boolean isRetryable(SQLException e) {
        int code = e.getErrorCode() & 0xff;
        return code == SQLITE_BUSY || code == SQLITE_LOCKED;
    }
}
