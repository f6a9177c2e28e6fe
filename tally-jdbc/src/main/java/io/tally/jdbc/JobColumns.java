package io.tally.jdbc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.tally.store.JobRecord;
import java.io.IOException;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * How a store selects a job's row and reads it back: column by column ({@link JobRows#COLS}), or packed into one JSON
 * array where the dialect asks for it ({@link Dialect#packsJobRows()}).
 *
 * <p>Why packed: sqlite-jdbc makes native calls for every column of every result (its name when the statement runs,
 * then the value, then its type to tell a null), so reading a job's 31 columns cost about as much as the rest of a
 * write; one {@code json_array(…)} is one native call and a parse. Measured on one job's read-decide-write in a loop
 * (BEGIN IMMEDIATE, the read, a progress UPDATE, COMMIT): 36,000/s reading the columns, 56,000/s reading them packed.
 * The rate stays a column of its own: a REAL keeps all its bits that way, where its decimal text in JSON need not.
 */
final class JobColumns {
    private static final JsonFactory JSON = new JsonFactory();
    /** {@link JobRows#COLS}'s position of the rate, the one column not in the array. */
    private static final int RATE = 29;
    /** The number of columns in the array: all of {@link JobRows#COLS} but the rate. */
    private static final int PACKED_COLUMNS = 30;

    static final JobColumns BY_COLUMN = new JobColumns(JobRows.COLS, false);
    static final JobColumns PACKED =
            new JobColumns("json_array(" + JobRows.COLS.replace(" rate,", "") + "), rate", true);

    /** The select list. */
    final String select;

    private final boolean packed;

    private JobColumns(String select, boolean packed) {
        this.select = select;
        this.packed = packed;
    }

    /** @return how {@code dialect} reads a job's row */
    static JobColumns of(Dialect dialect) {
        return dialect.packsJobRows() ? PACKED : BY_COLUMN;
    }

    /** @return the job of the current row of {@code rs}, which selected {@link #select} from its first column */
    JobRecord read(ResultSet rs) throws SQLException {
        return JobRows.read(packed ? unpack(rs) : JobRows.columnsOf(rs));
    }

    private static JobRows.Row unpack(ResultSet rs) throws SQLException {
        Object[] values = new Object[PACKED_COLUMNS];
        try (JsonParser p = JSON.createParser(rs.getString(1))) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                throw new SQLException("a packed job row is not a JSON array");
            }
            int i = 0;
            for (JsonToken t; (t = p.nextToken()) != JsonToken.END_ARRAY; i++) {
                values[i] = switch (t) {
                    case VALUE_STRING -> p.getText();
                    case VALUE_NUMBER_INT -> p.getLongValue();
                    case VALUE_NULL -> null;
                    default -> throw new SQLException("unexpected " + t + " in a packed job row");
                };
            }
        } catch (IOException | IndexOutOfBoundsException e) {
            throw new SQLException("cannot read a packed job row: " + e.getMessage(), e);
        }
        double rate = rs.getDouble(2);
        Double rateOrNull = rs.wasNull() ? null : rate;
        return new JobRows.Row() {
            private Object at(int column) {
                return values[column < RATE ? column - 1 : column - 2];
            }

            @Override
            public String text(int column) {
                return (String) at(column);
            }

            @Override
            public long number(int column) {
                return (Long) at(column);
            }

            @Override
            public Long numberOrNull(int column) {
                return (Long) at(column);
            }

            @Override
            public boolean flag(int column) {
                return (Long) at(column) != 0;
            }

            @Override
            public Double realOrNull(int column) {
                return rateOrNull;
            }
        };
    }
}
