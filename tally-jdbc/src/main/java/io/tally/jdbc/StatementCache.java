package io.tally.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Keeps a connection's prepared statements for reuse: {@code prepareStatement(sql)} hands back the statement prepared
 * for the same text before, and its {@code close()} resets it for the next caller instead of freeing it.
 *
 * <p>Why: sqlite-jdbc compiles the SQL anew on every {@code prepareStatement}, and for the store's statements (a job
 * row has some forty columns) compiling costs more than running: about two thirds of reading a job was {@code
 * sqlite3_prepare}, and the read went from some 67 to 17 µs with the statements kept (docs/benchmarks.md). PostgreSQL's and MariaDB's drivers keep their own plans, so only SQLite's connections are
 * wrapped. The cache is per connection, and a pooled connection is used by one thread at a time, so it needs no lock.
 *
 * <p>A statement is handed out once at a time: asking for a text whose statement is still open (a query run inside the
 * loop over its own results) prepares a separate one that is freed on close. At most {@link #MAX_STATEMENTS} texts
 * are kept per connection (the least recently used one is freed), since some statements are built per request (a
 * listing's filters, {@code IN} lists sized to their ids). Closing the connection frees them all.
 */
final class StatementCache {
    /** Texts kept per connection. */
    static final int MAX_STATEMENTS = 64;

    private final Connection target;
    private final Map<String, Cached> statements = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
            if (size() <= MAX_STATEMENTS) {
                return false;
            }
            eldest.getValue().evicted = true;
            if (!eldest.getValue().inUse) {
                closeQuietly(eldest.getValue().statement);
            }
            return true;
        }
    };

    private StatementCache(Connection target) {
        this.target = target;
    }

    /** @return {@code target} with its prepared statements kept for reuse */
    static Connection wrap(Connection target) {
        StatementCache cache = new StatementCache(target);
        return (Connection) Proxy.newProxyInstance(
                Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (p, method, args) -> {
                    if (method.getName().equals("prepareStatement")
                            && args.length == 1
                            && args[0] instanceof String sql) {
                        return cache.prepare(sql);
                    }
                    if (method.getName().equals("close") && args == null) {
                        cache.closeAll();
                    }
                    return invoke(target, method, args);
                });
    }

    /** @return {@code source}, its connections wrapped by {@link #wrap(Connection)} */
    static DataSource wrap(DataSource source) {
        return (DataSource) Proxy.newProxyInstance(
                DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class}, (p, method, args) -> {
                    Object result = invoke(source, method, args);
                    return method.getName().equals("getConnection") ? wrap((Connection) result) : result;
                });
    }

    private PreparedStatement prepare(String sql) throws SQLException {
        Cached c = statements.get(sql);
        if (c == null) {
            c = new Cached(target.prepareStatement(sql));
            statements.put(sql, c);
        } else if (c.inUse) {
            return target.prepareStatement(sql); // (the cached one is open: a separate one, freed on close)
        }
        c.inUse = true;
        return c.handle();
    }

    private void closeAll() {
        statements.values().forEach(c -> closeQuietly(c.statement));
        statements.clear();
    }

    /** One kept statement; the handle given out while in use. */
    private static final class Cached {
        final PreparedStatement statement;
        boolean inUse;
        boolean evicted;
        /** The results of the last executeQuery, closed on release if the caller did not. */
        ResultSet results;

        Cached(PreparedStatement statement) {
            this.statement = statement;
        }

        /** @return a statement whose close() hands {@link #statement} back instead of freeing it */
        PreparedStatement handle() {
            boolean[] closed = {false};
            return (PreparedStatement) Proxy.newProxyInstance(
                    PreparedStatement.class.getClassLoader(),
                    new Class<?>[] {PreparedStatement.class},
                    (p, method, args) -> {
                        String name = method.getName();
                        if (name.equals("close") && args == null) {
                            if (!closed[0]) {
                                closed[0] = true;
                                release();
                            }
                            return null;
                        }
                        if (name.equals("isClosed") && args == null) {
                            return closed[0] || statement.isClosed();
                        }
                        if (closed[0]) {
                            throw new SQLException("statement is closed");
                        }
                        Object result = invoke(statement, method, args);
                        if (name.equals("executeQuery")) {
                            results = (ResultSet) result;
                        }
                        return result;
                    });
        }

        private void release() throws SQLException {
            inUse = false;
            if (evicted) {
                statement.close();
                return;
            }
            // Results left open would hold the statement mid-step, and with it SQLite's read snapshot. (Not
            // getResultSet(): sqlite-jdbc reads every column's name for it.) Bindings and batches are the last
            // caller's.
            if (results != null) {
                results.close();
                results = null;
            }
            statement.clearParameters();
            statement.clearBatch();
        }
    }

    private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static void closeQuietly(PreparedStatement s) {
        try {
            s.close();
        } catch (SQLException ignored) {
            // freeing a statement of a connection going away: nothing to do about it
        }
    }
}
