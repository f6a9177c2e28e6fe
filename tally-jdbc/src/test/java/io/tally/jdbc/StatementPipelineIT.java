package io.tally.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.jdbc.postgres.PostgresDialect;
import io.tally.testing.TestServices;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The statements of a write sent together on PostgreSQL: answered in order, each read seeing what the statements
 * before it wrote, and a commit sent with them undone when one of them fails, the row-count check included.
 */
class StatementPipelineIT {
    private final String table =
            "sp_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    private Connection c;

    @BeforeEach
    void table() throws Exception {
        c = TestServices.connect(TestServices.postgresUrl());
        exec("CREATE TABLE " + table + " (id TEXT PRIMARY KEY, n BIGINT NOT NULL)");
        exec("INSERT INTO " + table + " VALUES ('a', 0), ('b', 0)");
        assertThat(PostgresDialect.INSTANCE.sendsStatementsTogether(c)).isTrue();
        c.setAutoCommit(false);
    }

    @AfterEach
    void drop() throws Exception {
        c.rollback();
        c.setAutoCommit(true);
        exec("DROP TABLE " + table);
        c.close();
    }

    @Test
    void readsAndUpdatesAnswerInOrderAndAReadSeesTheWritesBeforeIt() throws Exception {
        List<Long> seen = new ArrayList<>();
        List<int[]> counts = new ArrayList<>();
        new StatementPipeline()
                .query(select(), 1, (ps, first, none) -> ps.setString(first, "a"), rs -> seen.add(value(rs)))
                .update(increment(), 1, List.of("a", "a", "b"), (ps, first, id) -> ps.setString(first, id), counts::add)
                .query(select(), 1, (ps, first, none) -> ps.setString(first, "a"), rs -> seen.add(value(rs)))
                .update(
                        "UPDATE " + table + " SET n = n + 1 WHERE id = ?",
                        1,
                        List.of("none"),
                        (ps, first, id) -> ps.setString(first, id),
                        counts::add)
                .commit()
                .run(c, true);

        assertThat(seen).containsExactly(0L, 2L);
        assertThat(counts).containsExactly(new int[] {1, 1, 1}, new int[] {0});
        assertThat(committed("a")).isEqualTo(2);
        assertThat(committed("b")).isEqualTo(1);
    }

    @Test
    void aStatementThatFailsUndoesTheWritesAndTheCommitSentWithIt() throws Exception {
        String checked = PostgresDialect.INSTANCE.failUnlessOneRow(increment());
        StatementPipeline writes = new StatementPipeline()
                .update(increment(), 1, List.of("a"), (ps, first, id) -> ps.setString(first, id), null)
                .query(checked, 1, (ps, first, none) -> ps.setString(first, "missing"), rs -> {})
                .commit();

        assertThatThrownBy(() -> writes.run(c, true))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("expected to change one row, changed 0");
        c.rollback();
        assertThat(committed("a")).isZero();
    }

    @Test
    void theCheckedUpdatePassesWhenItChangesOneRow() throws Exception {
        String checked = PostgresDialect.INSTANCE.failUnlessOneRow(increment());
        new StatementPipeline()
                .query(checked, 1, (ps, first, none) -> ps.setString(first, "b"), rs -> {})
                .commit()
                .run(c, true);

        assertThat(committed("b")).isEqualTo(1);
    }

    private String select() {
        return "SELECT n FROM " + table + " WHERE id = ? FOR UPDATE";
    }

    private String increment() {
        return "UPDATE " + table + " SET n = n + 1 WHERE id = ?";
    }

    private static long value(java.sql.ResultSet rs) throws SQLException {
        assertThat(rs.next()).isTrue();
        return rs.getLong(1);
    }

    /** @return the committed value of row {@code id}, read on a connection of its own */
    private long committed(String id) throws Exception {
        try (Connection other = TestServices.connect(TestServices.postgresUrl());
                Statement s = other.createStatement();
                var rs = s.executeQuery("SELECT n FROM " + table + " WHERE id = '" + id + "'")) {
            return value(rs);
        }
    }

    private void exec(String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
