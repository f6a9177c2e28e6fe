package io.tally.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * The statements of one step of a transaction, sent in one round trip where the dialect can, else one after the other.
 *
 * <p>Why: a write of the SQL store is read, decide, write ({@link JobWriter}); on a database over the network each
 * statement sent on its own costs a round trip (a part completion took five: lock, read the part, write the part,
 * write the job, commit), and sending them together made PostgreSQL writes a quarter to three quarters faster
 * (docs/benchmarks.md, 2026-12-07). With
 * {@link Dialect#sendsStatementsTogether} the statements of a step go as one multi-statement string whose parameters
 * are bound in order; the database runs them one after the other, each seeing what the ones before it wrote and, under
 * READ COMMITTED, taking its snapshot after they finished (so a read placed after the {@code SELECT … FOR UPDATE} sees
 * the rows as they are once the lock is held). A part completion is then two round trips: lock and read; write and
 * commit. Other dialects, and steps of more than {@value #MAX_TOGETHER} statements (a batch of a thousand items is
 * cheaper as a prepared statement's batch than as a thousand statements parsed once each), run each statement on its
 * own, and each batch as a JDBC batch.
 */
final class StatementPipeline {
    /** Statements sent together at most; a longer step runs statement by statement. */
    static final int MAX_TOGETHER = 64;

    /** Binds one row of a statement's parameters, the first at index {@code first}. */
    @FunctionalInterface
    interface Binder<T> {
        void bind(PreparedStatement ps, int first, T row) throws SQLException;
    }

    /** Reads a query's rows. */
    @FunctionalInterface
    interface Reader {
        void read(ResultSet rs) throws SQLException;
    }

    /** Takes the number of rows each row of an update changed, in order. */
    @FunctionalInterface
    interface Counts {
        void check(int[] counts) throws SQLException;
    }

    /** One statement, for one or more rows of parameters (an update's batch). */
    private record Entry<T>(String sql, int params, List<T> rows, Binder<T> binder, Reader reader, Counts counts) {
        void bind(PreparedStatement ps, int first, int row) throws SQLException {
            binder.bind(ps, first, rows.get(row));
        }
    }

    private final List<Entry<?>> entries = new ArrayList<>();
    private int statements;

    /** Adds a query of {@code params} parameters whose rows {@code reader} reads. */
    StatementPipeline query(String sql, int params, Binder<Void> binder, Reader reader) {
        List<Void> one = new ArrayList<>(1);
        one.add(null);
        return add(new Entry<>(sql, params, one, binder, reader, null));
    }

    /** Adds an update run once per row of {@code rows}; {@code counts} (or null) checks the rows each changed. */
    <T> StatementPipeline update(String sql, int params, List<T> rows, Binder<T> binder, Counts counts) {
        return rows.isEmpty() ? this : add(new Entry<>(sql, params, rows, binder, null, counts));
    }

    /**
     * Adds {@code COMMIT}: sent with the rest when they go together, so a write takes one round trip fewer. It does
     * not count towards {@value #MAX_TOGETHER}: there is nothing in it to parse or bind.
     */
    StatementPipeline commit() {
        entries.add(new Entry<>("COMMIT", 0, List.of(0), (ps, first, row) -> {}, null, null));
        return this;
    }

    private StatementPipeline add(Entry<?> e) {
        entries.add(e);
        statements += e.rows().size();
        return this;
    }

    /** @return whether nothing was added */
    boolean isEmpty() {
        return entries.isEmpty();
    }

    /** @return whether {@link #run} sends the statements in one round trip when the dialect can */
    boolean fitsOneTrip() {
        return fitsOneTripWith(0);
    }

    /** @return whether the statements and {@code more} others would go in one round trip when the dialect can */
    boolean fitsOneTripWith(int more) {
        return statements + more <= MAX_TOGETHER;
    }

    /** Runs the statements in the order they were added, together if {@code together} and they fit, and empties it. */
    void run(Connection c, boolean together) throws SQLException {
        try {
            boolean single = entries.size() == 1 && entries.get(0).rows().size() == 1;
            if (together && !single && fitsOneTrip()) {
                runTogether(c);
            } else {
                for (Entry<?> e : entries) {
                    runAlone(c, e);
                }
            }
        } finally {
            entries.clear();
            statements = 0;
        }
    }

    private static void runAlone(Connection c, Entry<?> e) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(e.sql())) {
            if (e.reader() != null) {
                e.bind(ps, 1, 0);
                try (ResultSet rs = ps.executeQuery()) {
                    e.reader().read(rs);
                }
                return;
            }
            int[] counts;
            if (e.rows().size() == 1) {
                e.bind(ps, 1, 0);
                counts = new int[] {ps.executeUpdate()};
            } else {
                for (int row = 0; row < e.rows().size(); row++) {
                    e.bind(ps, 1, row);
                    ps.addBatch();
                }
                counts = ps.executeBatch();
            }
            if (e.counts() != null) {
                e.counts().check(counts);
            }
        }
    }

    private void runTogether(Connection c) throws SQLException {
        StringJoiner sql = new StringJoiner(";\n");
        for (Entry<?> e : entries) {
            for (int row = 0; row < e.rows().size(); row++) {
                sql.add(e.sql());
            }
        }
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            int first = 1;
            for (Entry<?> e : entries) {
                for (int row = 0; row < e.rows().size(); row++) {
                    e.bind(ps, first, row);
                    first += e.params();
                }
            }
            boolean resultSet = ps.execute();
            for (Entry<?> e : entries) {
                int[] counts = new int[e.rows().size()];
                for (int row = 0; row < counts.length; row++) {
                    if (e.reader() != null) {
                        if (!resultSet) {
                            throw new IllegalStateException("no rows came back for " + e.sql());
                        }
                        try (ResultSet rs = ps.getResultSet()) {
                            e.reader().read(rs);
                        }
                    } else {
                        counts[row] = resultSet ? Statement.SUCCESS_NO_INFO : ps.getUpdateCount();
                    }
                    resultSet = ps.getMoreResults();
                }
                if (e.counts() != null) {
                    e.counts().check(counts);
                }
            }
        }
    }
}
