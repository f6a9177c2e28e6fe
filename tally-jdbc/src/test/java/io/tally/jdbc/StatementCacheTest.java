package io.tally.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link StatementCache} on a real SQLite connection: what is reused, what is not, and what is freed. */
class StatementCacheTest {
    private Connection raw;
    private Connection c;

    @BeforeEach
    void open() throws SQLException {
        raw = DriverManager.getConnection("jdbc:sqlite::memory:");
        c = StatementCache.wrap(raw);
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)");
            s.execute("INSERT INTO t VALUES ('a', 1), ('b', 2), ('c', 3)");
        }
    }

    @AfterEach
    void close() throws SQLException {
        c.close();
    }

    @Test
    void aClosedStatementIsHandedOutAgainForTheSameTextWithItsBindingsCleared() throws SQLException {
        PreparedStatement first = c.prepareStatement("SELECT v FROM t WHERE k = ?");
        PreparedStatement kept = first.unwrap(PreparedStatement.class);
        first.setString(1, "b");
        assertThat(single(first)).isEqualTo(2);
        first.close();
        assertThat(first.isClosed()).isTrue();
        assertThatThrownBy(first::executeQuery).isInstanceOf(SQLException.class);

        PreparedStatement second = c.prepareStatement("SELECT v FROM t WHERE k = ?");
        assertThat(second.unwrap(PreparedStatement.class)).isSameAs(kept);
        try (ResultSet rs = second.executeQuery()) { // the last caller's 'b' is not bound any more
            assertThat(rs.next()).isFalse();
        }
        second.setString(1, "c");
        assertThat(single(second)).isEqualTo(3);
        second.close();
    }

    @Test
    void aTextWhoseStatementIsOpenGetsASeparateOne() throws SQLException {
        String sql = "SELECT v FROM t WHERE k = ?";
        try (PreparedStatement outer = c.prepareStatement(sql);
                PreparedStatement inner = c.prepareStatement(sql)) {
            assertThat(inner.unwrap(PreparedStatement.class)).isNotSameAs(outer.unwrap(PreparedStatement.class));
            outer.setString(1, "a");
            inner.setString(1, "c");
            try (ResultSet o = outer.executeQuery();
                    ResultSet i = inner.executeQuery()) {
                assertThat(o.next()).isTrue();
                assertThat(i.next()).isTrue();
                assertThat(o.getInt(1)).isEqualTo(1);
                assertThat(i.getInt(1)).isEqualTo(3);
            }
        }
    }

    @Test
    void resultsLeftOpenAreClosedWhenTheStatementIsHandedBack() throws SQLException {
        PreparedStatement s = c.prepareStatement("SELECT v FROM t ORDER BY k");
        ResultSet rs = s.executeQuery();
        assertThat(rs.next()).isTrue(); // read one row of three, then hand the statement back
        s.close();
        assertThat(rs.isClosed()).isTrue();
    }

    @Test
    void theLeastRecentlyUsedTextsAreFreedBeyondTheLimitAndTheRestWithTheConnection() throws SQLException {
        List<PreparedStatement> kept = new ArrayList<>();
        for (int i = 0; i <= StatementCache.MAX_STATEMENTS; i++) {
            try (PreparedStatement s = c.prepareStatement("SELECT v + " + i + " FROM t WHERE k = ?")) {
                kept.add(s.unwrap(PreparedStatement.class));
            }
        }
        assertThat(kept.get(0).isClosed()).as("the oldest, beyond the limit").isTrue();
        assertThat(kept.subList(1, kept.size())).noneMatch(StatementCacheTest::closed);
        c.close();
        assertThat(kept).allMatch(StatementCacheTest::closed);
    }

    private static int single(PreparedStatement s) throws SQLException {
        try (ResultSet rs = s.executeQuery()) {
            assertThat(rs.next()).isTrue();
            return rs.getInt(1);
        }
    }

    private static boolean closed(PreparedStatement s) {
        try {
            return s.isClosed();
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }
}
