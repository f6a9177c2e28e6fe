package io.tally.bench;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@link SqlBench}'s raw references on SQLite: the least each Tally call can cost through sqlite-jdbc, as plain JDBC
 * on one connection that the callers share under a lock (SQLite has one writer; Tally's store does the same inside).
 * On bare tables of its own ({@code raw_jobs}, {@code raw_items}, {@code raw_parts}) in a file of its own, and — for a
 * keyed record — on Tally's own tables in Tally's file ({@link OnTallysTables}).
 */
final class SqliteRawLoops implements AutoCloseable {
    private final Connection raw;
    private final ReentrantLock lock = new ReentrantLock();
    private final PreparedStatement tick;
    private final PreparedStatement read;
    private final PreparedStatement insert;
    private final PreparedStatement readItem;
    private final PreparedStatement updatePart;
    private final PreparedStatement count;

    /** Opens {@code url} with {@code props}, creates the bare tables and a row for each of {@code jobs} callers. */
    SqliteRawLoops(String url, Properties props, int jobs) throws SQLException {
        raw = DriverManager.getConnection(url, props);
        exec(
                raw,
                "CREATE TABLE raw_jobs (id TEXT PRIMARY KEY, succeeded INTEGER NOT NULL DEFAULT 0,"
                        + " failed INTEGER NOT NULL DEFAULT 0)");
        exec(
                raw,
                "CREATE TABLE raw_items (job_id TEXT NOT NULL, item_key TEXT NOT NULL, outcome INTEGER NOT"
                        + " NULL, PRIMARY KEY (job_id, item_key))");
        exec(
                raw,
                "CREATE TABLE raw_parts (job_id TEXT NOT NULL, part INTEGER NOT NULL, outcome INTEGER NOT"
                        + " NULL, PRIMARY KEY (job_id, part))");
        for (int i = 0; i < jobs; i++) {
            exec(raw, "INSERT INTO raw_jobs (id) VALUES ('" + i + "')");
        }
        tick = raw.prepareStatement("UPDATE raw_jobs SET succeeded = succeeded + 1 WHERE id = ?");
        read = raw.prepareStatement("SELECT * FROM raw_jobs WHERE id = ?");
        insert = raw.prepareStatement(
                "INSERT INTO raw_items (job_id, item_key, outcome) VALUES (?, ?, 1) ON CONFLICT DO NOTHING");
        readItem = raw.prepareStatement("SELECT outcome FROM raw_items WHERE job_id = ? AND item_key = ?");
        updatePart =
                raw.prepareStatement("UPDATE raw_parts SET outcome = 1 WHERE job_id = ? AND part = ? AND outcome <> 1");
        count = raw.prepareStatement("UPDATE raw_jobs SET succeeded = succeeded + ? WHERE id = ?");
    }

    /** The counter: one autocommit {@code UPDATE … + 1} of caller {@code i}'s row. */
    void tick(int i) throws SQLException {
        lock.lock();
        try {
            tick.setString(1, Integer.toString(i));
            tick.executeUpdate();
        } finally {
            lock.unlock();
        }
    }

    /** What any store that decides in the client must at least do for the counter: read the row, then write it. */
    void readDecideWrite(int i) throws SQLException {
        String job = Integer.toString(i);
        writeTransaction(raw, lock, () -> {
            query(read, job);
            tick.setString(1, job);
            tick.executeUpdate();
        });
    }

    /** An idempotent keyed record: insert the item, count it if it was new; one transaction. */
    void insertAndCount(int i, String key) throws SQLException {
        String job = Integer.toString(i);
        writeTransaction(raw, lock, () -> {
            insert.setString(1, job);
            insert.setString(2, key);
            int inserted = insert.executeUpdate();
            if (inserted == 1) {
                tick.setString(1, job);
                tick.executeUpdate();
            }
        });
    }

    /**
     * The same as a read-decide-write transaction, as pgbench's {@code insert-count-locked.sql} is on PostgreSQL: read
     * the job and the item's outcome, then write.
     */
    void readDecideWriteInsert(int i, String key) throws SQLException {
        String job = Integer.toString(i);
        writeTransaction(raw, lock, () -> {
            query(read, job);
            query(readItem, job, key);
            insert.setString(1, job);
            insert.setString(2, key);
            insert.executeUpdate();
            tick.setString(1, job);
            tick.executeUpdate();
        });
    }

    /** Refills {@code raw_parts} with {@code n} pending parts of job {@code p}. */
    void pendingParts(int n) throws SQLException {
        exec(raw, "DELETE FROM raw_parts");
        exec(
                raw,
                "WITH RECURSIVE g(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM g WHERE x < " + (n - 1)
                        + ") INSERT INTO raw_parts (job_id, part, outcome) SELECT 'p', x, 0 FROM g");
    }

    /** Completes parts {@code from} … {@code from + batch - 1} in one batched {@code UPDATE} and counts them. */
    void completeParts(int i, int from, int batch) throws SQLException {
        writeTransaction(raw, lock, () -> {
            for (int k = 0; k < batch; k++) {
                updatePart.setString(1, "p");
                updatePart.setInt(2, from + k);
                updatePart.addBatch();
            }
            long changed = 0;
            for (int c : updatePart.executeBatch()) {
                changed += Math.max(c, 0);
            }
            count.setLong(1, changed);
            count.setString(2, Integer.toString(i));
            count.executeUpdate();
        });
    }

    @Override
    public void close() throws SQLException {
        raw.close();
    }

    /**
     * The least a keyed record costs on Tally's own schema (the jobs row and its indexes, the items table with its
     * outcome index), in the file Tally writes: the statements {@code JdbcJobStore} runs for one record on SQLite (the
     * job read packed as {@code JobColumns} does, the item's outcome, the item's upsert, the progress-only update),
     * without the rules, the events or the group commit. Against it, what Tally's Java side and batching cost or win;
     * against the bare tables, what the schema costs.
     */
    static final class OnTallysTables implements AutoCloseable {
        static final String NAME = "JDBC on Tally's own tables and file, read-decide-write: `BEGIN IMMEDIATE;"
                + " SELECT json_array(…) job; SELECT item; INSERT item … ON CONFLICT DO UPDATE; UPDATE progress; COMMIT`";
        private static final String COLS = "id, name, scope, parent, metadata, state, total, succeeded, failed, parts,"
                + " tolerated_failures, settled, created_at, started_at, updated_at, finished_at, timeout_ms,"
                + " heartbeat_ms, retain_ms, deadline, lease_until, retain_until, result, error_message, error_type,"
                + " error_stack, error_reason, message, rate_at, rate_acc";

        private final Connection c;
        private final ReentrantLock lock = new ReentrantLock();
        private final PreparedStatement read;
        private final PreparedStatement readItem;
        private final PreparedStatement upsert;
        private final PreparedStatement update;

        OnTallysTables(Path db, Properties props) throws SQLException {
            c = DriverManager.getConnection("jdbc:sqlite:" + db, props);
            read = c.prepareStatement("SELECT json_array(" + COLS + "), rate FROM tally_jobs WHERE id = ?");
            readItem = c.prepareStatement(
                    "SELECT item_key, outcome FROM tally_items WHERE job_id = ? AND item_key IN (?)");
            upsert = c.prepareStatement(
                    "INSERT INTO tally_items (job_id, item_key, outcome, reason) VALUES (?, ?, 1, NULL) ON CONFLICT"
                            + " (job_id, item_key) DO UPDATE SET outcome = excluded.outcome, reason = excluded.reason");
            update = c.prepareStatement("UPDATE tally_jobs SET total = total + 0, succeeded = succeeded + 1,"
                    + " failed = failed + 0, updated_at = ?, message = NULL, rate = NULL, rate_at = ?,"
                    + " rate_acc = rate_acc + 1 WHERE id = ?");
        }

        /** One keyed record of job {@code id}, key {@code key}. */
        void record(String id, String key) throws SQLException {
            writeTransaction(c, lock, () -> {
                read.setString(1, id);
                try (ResultSet rs = read.executeQuery()) {
                    rs.next();
                    rs.getString(1); // the packed row and the rate, as JobColumns reads them
                    rs.getDouble(2);
                }
                query(readItem, id, key);
                upsert.setString(1, id);
                upsert.setString(2, key);
                upsert.executeUpdate();
                long now = System.currentTimeMillis();
                update.setLong(1, now);
                update.setLong(2, now);
                update.setString(3, id);
                update.executeUpdate();
            });
        }

        @Override
        public void close() throws SQLException {
            c.close();
        }
    }

    /** Statements of one raw SQLite transaction. */
    @FunctionalInterface
    private interface SqlWork {
        void run() throws SQLException;
    }

    /**
     * Runs {@code work} as one write transaction on {@code c} ({@code BEGIN IMMEDIATE … COMMIT}, rolled back if it
     * fails) holding {@code lock}.
     */
    private static void writeTransaction(Connection c, ReentrantLock lock, SqlWork work) throws SQLException {
        lock.lock();
        try {
            exec(c, "BEGIN IMMEDIATE");
            try {
                work.run();
                exec(c, "COMMIT");
            } catch (SQLException e) {
                exec(c, "ROLLBACK");
                throw e;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code q} with {@code params} and steps to its first row. */
    private static void query(PreparedStatement q, String... params) throws SQLException {
        for (int i = 0; i < params.length; i++) {
            q.setString(i + 1, params[i]);
        }
        try (ResultSet rs = q.executeQuery()) {
            rs.next();
        }
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
