package io.tally.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * What differs between the SQL databases Tally runs on; everything else is shared by {@link JdbcJobStore}. Pick one of
 * {@link io.tally.jdbc.sqlite.SqliteDialect#INSTANCE}, {@link io.tally.jdbc.postgres.PostgresDialect#INSTANCE} and
 * {@link io.tally.jdbc.mariadb.MariaDbDialect#INSTANCE} when building a store on your own {@link javax.sql.DataSource}.
 */
public abstract class Dialect {
    /** For subclasses in this module. */
    protected Dialect() {}

    /** @return the short name used in URLs and messages ({@code sqlite}, {@code postgresql}, {@code mariadb}) */
    public abstract String name();

    /** @return the JDBC driver class, checked when a store is opened by URL */
    public abstract String driverClass();

    /** @return the Maven coordinates of the driver, named when it is missing */
    public abstract String driverArtifact();

    /** @return the folder of this dialect's migration scripts in the jar */
    public abstract String migrationFolder();

    /** @return the migrations of this dialect, oldest first */
    public List<Migration> migrations() {
        return List.of(SCHEMA);
    }

    /** Version 1 of every database: the tables. */
    private static final Migration SCHEMA =
            new Migration(1, "jobs, items, parts, logs and their indexes", "V1__schema.sql");

    /**
     * @return the migrations of a database whose events reach other processes through an events table ({@link
     *     TableChannel}): the tables, then the events table ({@code V2__events.sql})
     */
    protected static List<Migration> withEventsTable() {
        return List.of(SCHEMA, new Migration(2, "the events table other processes read", "V2__events.sql"));
    }

    /** @return the clause locking the selected row for the rest of the transaction ({@code FOR UPDATE}), or empty */
    public String forUpdate() {
        return " FOR UPDATE";
    }

    /** @return the SQL expression binding {@code placeholder} as JSON (a cast where the column type needs it) */
    public String json(String placeholder) {
        return placeholder;
    }

    /**
     * @param table the items table
     * @return an upsert of {@code (job_id, item_key, outcome, reason)} that overwrites outcome and reason on a
     *     duplicate key
     */
    public abstract String upsertItem(String table);

    /** @return true if the database serialises writers itself and the store should too (SQLite) */
    public boolean singleWriter() {
        return false;
    }

    /**
     * @return how many write transactions of one store may run at once (its lock stripes); each takes every write
     *     queued on its stripe (group commit), so fewer stripes make larger batches and fewer commits, more let a slow
     *     batch hold up fewer writers. Two: sixteen callers on PostgreSQL ran best with one or two, worst with sixteen
     *     (docs/benchmarks.md, 2026-12-06). A single writer ({@link #singleWriter}) has one.
     */
    public int writeStripes() {
        return 2;
    }

    /**
     * @return true if the driver of {@code c} sends the statements of one multi-statement string, with their
     *     parameters, in one round trip, and the database runs them in order (the store then sends a write's statements
     *     and its commit together; such a dialect must give {@link #failUnlessOneRow}); false sends each statement
     *     on its own
     */
    public boolean sendsStatementsTogether(Connection c) throws SQLException {
        return false;
    }

    /**
     * @param update an {@code UPDATE} meant to change exactly one row
     * @return the same update as a statement that fails unless it changed exactly one row (so that a transaction
     *     whose {@code COMMIT} was sent with it rolls back), or null where the dialect has none and the store checks
     *     the row count itself
     */
    public String failUnlessOneRow(String update) {
        return null;
    }

    /** Starts a write transaction. */
    public void beginWrite(Connection c) throws SQLException {
        if (c.getAutoCommit()) {
            c.setAutoCommit(false);
        }
    }

    /** Commits what {@link #beginWrite} started. */
    public void commit(Connection c) throws SQLException {
        if (!c.getAutoCommit()) {
            c.commit();
        }
    }

    /** Rolls back what {@link #beginWrite} started. */
    public void rollback(Connection c) throws SQLException {
        if (!c.getAutoCommit()) {
            c.rollback();
        }
    }

    /**
     * Takes the lock that keeps two processes from migrating at once, inside the migration's connection; released by
     * {@link #unlockMigrations}.
     */
    public void lockMigrations(Connection c, String name) throws SQLException {}

    /** Releases what {@link #lockMigrations} took. */
    public void unlockMigrations(Connection c, String name) throws SQLException {}

    /** @return true if DDL takes part in transactions, so a migration is applied whole or not at all */
    public boolean transactionalDdl() {
        return true;
    }

    /** @return true if {@code e} says the primary key is taken */
    public abstract boolean isDuplicateKey(SQLException e);

    /** @return true if the transaction failed on a deadlock or serialisation conflict and may simply be run again */
    public boolean isRetryable(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.equals("40001") || state.equals("40P01"));
    }

    /**
     * @return true if {@code e} says the connection to the database was lost (SQLSTATE class 08; a dialect adds its
     *     database's own codes): what was sent last may or may not have been applied
     */
    public boolean isConnectionLost(SQLException e) {
        String state = e.getSQLState();
        return state != null && state.startsWith("08");
    }

    /** @return true if {@code e} says a value cannot be stored (such as a NUL character), i.e. bad input */
    public boolean isUnstorableText(SQLException e) {
        return false;
    }

    /**
     * @return true to read a job's row as one JSON array rather than column by column ({@link JobColumns}): worth it
     *     where the driver pays a call of its own for each column of a result
     */
    public boolean packsJobRows() {
        return false;
    }

    /** @return the channel that carries events to other processes, or null for in-process delivery only */
    public EventChannel eventChannel(String namespace) {
        return null;
    }

    /** Runs a statement that returns nothing. */
    protected static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    @Override
    public String toString() {
        return name();
    }

    /**
     * One versioned migration.
     *
     * @param version its number; applied in order, each once, recorded in the schema-version table
     * @param description what it does
     * @param resource the script's file name in {@link #migrationFolder()}
     */
    public record Migration(int version, String description, String resource) {}
}
