package io.tally.jdbc;

import io.tally.FailureReason;
import io.tally.JobError;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.store.JobRecord;
import io.tally.store.RateEstimator;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;

/**
 * How a job is a row of the jobs table and back, and the codes of the items' and parts' outcome columns: times are UTC
 * epoch milliseconds, durations milliseconds, states their enum names, JSON kept as text.
 */
final class JobRows {
    private JobRows() {}

    /** Outcome codes of the items and parts tables. */
    static final int NONE = 0;

    static final int SUCCESS = 1;
    static final int FAILURE = 2;

    /** The jobs table's columns in the order {@link #bindInsert} binds them. */
    static final String COLS = "id, name, scope, parent, metadata, state, total, succeeded, failed, parts,"
            + " tolerated_failures, settled, created_at, started_at, updated_at, finished_at, timeout_ms,"
            + " heartbeat_ms, retain_ms, deadline, lease_until, retain_until, result, error_message, error_type,"
            + " error_stack, error_reason, message, rate, rate_at, rate_acc";

    /**
     * One job's columns as a read gives them, numbered as in {@link #COLS} from 1: a result's row read column by
     * column ({@link #columnsOf}), or a row packed into one value ({@link JobColumns}).
     */
    interface Row {
        /** @return the text of {@code column}, or null */
        String text(int column) throws SQLException;

        /** @return the number in {@code column}, which is never null */
        long number(int column) throws SQLException;

        /** @return the number in {@code column}, or null */
        Long numberOrNull(int column) throws SQLException;

        /** @return the boolean in {@code column} (PostgreSQL's BOOLEAN, an integer 0 or 1 elsewhere) */
        boolean flag(int column) throws SQLException;

        /** @return the floating-point number in {@code column}, or null */
        Double realOrNull(int column) throws SQLException;
    }

    /**
     * @return the current row of {@code rs}, which selected {@link #COLS} from its first column. Read by position: by
     *     name, a driver looks every name up in each new result.
     */
    static Row columnsOf(ResultSet rs) {
        return new Row() {
            @Override
            public String text(int column) throws SQLException {
                return rs.getString(column);
            }

            @Override
            public long number(int column) throws SQLException {
                return rs.getLong(column);
            }

            @Override
            public Long numberOrNull(int column) throws SQLException {
                long v = rs.getLong(column);
                return rs.wasNull() ? null : v;
            }

            @Override
            public boolean flag(int column) throws SQLException {
                return rs.getBoolean(column);
            }

            @Override
            public Double realOrNull(int column) throws SQLException {
                double v = rs.getDouble(column);
                return rs.wasNull() ? null : v;
            }
        };
    }

    /** @return the job in {@code row} */
    static JobRecord read(Row row) throws SQLException {
        String errorReason = row.text(27);
        JobError error = errorReason == null
                ? null
                : new JobError(row.text(24), row.text(25), row.text(26), FailureReason.ofCode(errorReason));
        return new JobRecord(
                row.text(1),
                row.text(2),
                row.text(3),
                row.text(4),
                row.text(5),
                JobState.valueOf(row.text(6)),
                row.number(7),
                row.number(8),
                row.number(9),
                (int) row.number(10),
                (int) row.number(11),
                row.flag(12),
                instant(row.numberOrNull(13)),
                instant(row.numberOrNull(14)),
                instant(row.numberOrNull(15)),
                instant(row.numberOrNull(16)),
                duration(row.numberOrNull(17)),
                duration(row.numberOrNull(18)),
                duration(row.numberOrNull(19)),
                instant(row.numberOrNull(20)),
                instant(row.numberOrNull(21)),
                instant(row.numberOrNull(22)),
                row.text(23),
                error,
                row.text(28),
                row.realOrNull(29),
                instant(row.numberOrNull(30)),
                row.number(31));
    }

    /** Binds every column of {@code r}, in the order of {@link #COLS}, from parameter 1. */
    static void bindInsert(PreparedStatement ps, JobRecord r) throws SQLException {
        int i = 1;
        ps.setString(i++, r.id());
        ps.setString(i++, r.name());
        ps.setString(i++, r.scope());
        ps.setString(i++, r.parent());
        ps.setString(i++, r.metadataJson());
        ps.setString(i++, r.state().name());
        ps.setLong(i++, r.total());
        ps.setLong(i++, r.succeeded());
        ps.setLong(i++, r.failed());
        ps.setInt(i++, r.parts());
        ps.setInt(i++, r.toleratedFailures());
        ps.setBoolean(i++, r.settled());
        setInstant(ps, i++, r.createdAt());
        setInstant(ps, i++, r.startedAt());
        setInstant(ps, i++, r.updatedAt());
        setInstant(ps, i++, r.finishedAt());
        setDuration(ps, i++, r.timeout());
        setDuration(ps, i++, r.heartbeat());
        setDuration(ps, i++, r.retainFor());
        i = bindChangeable(ps, i, r);
        ps.setLong(i, r.rateAcc());
    }

    /**
     * Binds what a write may change of {@code r} (deadline, lease, retention, result, error, message, rate state but
     * for {@code rate_acc}), from parameter {@code i}: the shared middle of {@link #bindInsert} and the job update.
     *
     * @return the next parameter index
     */
    static int bindChangeable(PreparedStatement ps, int i, JobRecord r) throws SQLException {
        setInstant(ps, i++, r.deadline());
        setInstant(ps, i++, r.leaseUntil());
        setInstant(ps, i++, r.retainUntil());
        ps.setString(i++, r.resultJson());
        JobError e = r.error();
        ps.setString(i++, e == null ? null : e.message());
        ps.setString(i++, e == null ? null : e.type());
        ps.setString(i++, e == null ? null : e.stack());
        ps.setString(i++, e == null ? null : e.reason().code());
        ps.setString(i++, r.message());
        return bindRate(ps, i, r);
    }

    /**
     * Binds the rate estimator's state but for {@code rate_acc} (rate, rate_at) from parameter {@code i}.
     *
     * @return the next parameter index
     */
    static int bindRate(PreparedStatement ps, int i, JobRecord r) throws SQLException {
        if (r.rate() == null) {
            ps.setNull(i++, Types.DOUBLE);
        } else {
            ps.setDouble(i++, r.rate());
        }
        setInstant(ps, i++, r.rateAt());
        return i;
    }

    static void setInstant(PreparedStatement ps, int i, Instant v) throws SQLException {
        if (v == null) {
            ps.setNull(i, Types.BIGINT);
        } else {
            ps.setLong(i, v.toEpochMilli());
        }
    }

    private static void setDuration(PreparedStatement ps, int i, Duration v) throws SQLException {
        if (v == null) {
            ps.setNull(i, Types.BIGINT);
        } else {
            ps.setLong(i, v.toMillis());
        }
    }

    /**
     * @return the rate state in columns {@code first} (rate), {@code first + 1} (rate_at) and {@code first + 2}
     *     (rate_acc) of the current row
     */
    static RateEstimator.State rateState(ResultSet rs, int first) throws SQLException {
        double rate = rs.getDouble(first);
        Double rateOrNull = rs.wasNull() ? null : rate;
        return new RateEstimator.State(rateOrNull, instant(rs, first + 1), rs.getLong(first + 2));
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(v);
    }

    private static Instant instant(Long millis) {
        return millis == null ? null : Instant.ofEpochMilli(millis);
    }

    private static Duration duration(Long millis) {
        return millis == null ? null : Duration.ofMillis(millis);
    }

    /** Binds {@code args} (Long, Integer or String) from parameter 1. */
    static void bindAll(PreparedStatement ps, List<Object> args) throws SQLException {
        int i = 1;
        for (Object a : args) {
            if (a instanceof Long l) {
                ps.setLong(i++, l);
            } else if (a instanceof Integer n) {
                ps.setInt(i++, n);
            } else {
                ps.setString(i++, (String) a);
            }
        }
    }

    /** @return {@code n} comma-separated parameter marks */
    static String marks(int n) {
        return String.join(", ", Collections.nCopies(n, "?"));
    }

    static int code(Outcome o) {
        return o == Outcome.SUCCESS ? SUCCESS : FAILURE;
    }

    /** @return the outcome of a stored code, null for {@link #NONE} (a pending part) */
    static Outcome outcome(int code) {
        return code == NONE ? null : code == SUCCESS ? Outcome.SUCCESS : Outcome.FAILURE;
    }
}
