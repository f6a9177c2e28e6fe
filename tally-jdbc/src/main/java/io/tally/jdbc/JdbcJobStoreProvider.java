package io.tally.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.util.DriverDataSource;
import io.tally.InvalidInputException;
import io.tally.StoreUnavailableException;
import io.tally.internal.OptionalDependency;
import io.tally.internal.Urls;
import io.tally.jdbc.mariadb.MariaDbDialect;
import io.tally.jdbc.postgres.PostgresDialect;
import io.tally.jdbc.sqlite.SqliteDialect;
import io.tally.store.JobStore;
import io.tally.store.JobStoreProvider;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import javax.sql.DataSource;

/**
 * Opens SQL stores by URL, with a HikariCP pool:
 *
 * <ul>
 *   <li>{@code sqlite:PATH} (a file, created with its folders if missing) and {@code sqlite::memory:} (a private
 *       in-memory database that lives as long as the store);
 *   <li>{@code postgresql://user:password@host:port/database?schema=name} (also {@code postgres://});
 *   <li>{@code mariadb://user:password@host:port/database} (also {@code mysql://}).
 * </ul>
 *
 * Options go in the query string: {@code tablePrefix} (default {@code tally_}), {@code migrate} (default true),
 * {@code poolSize}, {@code connectTimeout} (ms, default 10000), {@code schema} (PostgreSQL), {@code busyTimeout} (ms,
 * SQLite, default 10000), {@code synchronous} (SQLite, default NORMAL), {@code events} (PostgreSQL NOTIFY, default
 * true). Any other option is passed to the JDBC driver as a connection property.
 */
public final class JdbcJobStoreProvider implements JobStoreProvider {

    @Override
    public boolean supports(String url) {
        return url.startsWith("sqlite:")
                || url.startsWith("postgresql://")
                || url.startsWith("postgres://")
                || url.startsWith("mariadb://")
                || url.startsWith("mysql://");
    }

    @Override
    public List<String> schemes() {
        return List.of("sqlite", "postgresql", "mariadb");
    }

    @Override
    public JobStore open(String url, Clock clock) {
        if (url.startsWith("sqlite:")) {
            return openSqlite(url, clock);
        }
        if (url.startsWith("postgresql://") || url.startsWith("postgres://")) {
            return openServer(url, clock, PostgresDialect.INSTANCE, "postgresql", 5432);
        }
        if (url.startsWith("mariadb://") || url.startsWith("mysql://")) {
            return openServer(url, clock, MariaDbDialect.INSTANCE, "mariadb", 3306);
        }
        throw new InvalidInputException("url", "not a SQL store URL: " + Urls.mask(url));
    }

    /** A missing driver names the store's artifact ({@code io.tally:tally-postgresql}), which brings it. */
    /** SQLite's files start with these 16 bytes ("SQLite format 3" and a NUL). */
    private static final byte[] SQLITE_HEADER = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);

    /**
     * Refuses at once a file that is not a SQLite database. The driver would only find out on the first statement,
     * after the pool's connection attempts had waited and logged an error each.
     */
    private static void checkIsSqlite(Path path, String url) {
        if (!Files.isRegularFile(path)) {
            return; // none yet: it is created; a folder or a device fails on open with the driver's message
        }
        byte[] head = new byte[SQLITE_HEADER.length];
        int n;
        try (java.io.InputStream in = Files.newInputStream(path)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (IOException e) {
            throw new StoreUnavailableException("cannot read " + url + ": " + e.getMessage(), e);
        }
        if (n > 0 && (n < head.length || !java.util.Arrays.equals(head, SQLITE_HEADER))) {
            throw new InvalidInputException("url", path + " is not a SQLite database (" + Urls.mask(url) + ")");
        }
    }

    private static void requireDriver(Dialect d) {
        OptionalDependency.of("the " + d.name() + " store", d.driverClass(), "io.tally:tally-" + d.name())
                .orElse("its JDBC driver " + d.driverArtifact() + " beside io.tally:tally-jdbc")
                .require(JdbcJobStoreProvider.class, StoreUnavailableException::new);
    }

    private static JobStore openSqlite(String url, Clock clock) {
        Dialect d = SqliteDialect.INSTANCE;
        String rest = url.substring("sqlite:".length());
        Map<String, String> options = new LinkedHashMap<>();
        int q = rest.indexOf('?');
        if (q >= 0) {
            options = query(rest.substring(q + 1));
            rest = rest.substring(0, q);
        }
        if (rest.startsWith("//")) {
            rest = rest.substring(2);
        }
        if (rest.isEmpty()) {
            throw new InvalidInputException("url", "expected sqlite:PATH or sqlite::memory:, was " + url);
        }
        requireDriver(d);
        String busy = options.remove("busyTimeout");
        String sync = options.remove("synchronous");
        JdbcJobStore.Builder b = common(options, clock, d).description(url);
        Properties props = new Properties();
        props.setProperty("busy_timeout", busy == null ? "10000" : busy);
        // The store never asks for generated keys, and the driver would look them up after every INSERT and UPDATE.
        props.setProperty("jdbc.get_generated_keys", "false");
        options.forEach(props::setProperty);
        if (rest.equals(":memory:")) {
            try {
                Connection c = StatementCache.wrap(DriverManager.getConnection("jdbc:sqlite::memory:", props));
                SingleConnectionDataSource ds = new SingleConnectionDataSource(c);
                // (no other process can open a private in-memory database: no events table to write)
                return b.dataSource(ds)
                        .readsUnderWriteLock(true)
                        .crossProcessEvents(false)
                        .onClose(ds)
                        .build();
            } catch (SQLException e) {
                throw new StoreUnavailableException("cannot open " + url + ": " + e.getMessage(), e);
            }
        }
        Path path = Path.of(rest).toAbsolutePath();
        checkIsSqlite(path, url);
        try {
            if (path.getParent() != null) {
                Files.createDirectories(path.getParent());
            }
        } catch (IOException e) {
            throw new StoreUnavailableException("cannot create the folder of " + url + ": " + e.getMessage(), e);
        }
        String jdbc = "jdbc:sqlite:" + path;
        int poolSize = intOption(options, "poolSize", 4);
        long connectTimeout = intOption(options, "connectTimeout", 10_000);
        options.remove("poolSize");
        options.remove("connectTimeout");
        Properties writeProps = new Properties();
        writeProps.putAll(props);
        writeProps.setProperty("journal_mode", "WAL");
        writeProps.setProperty("synchronous", sync == null ? "NORMAL" : sync);
        HikariDataSource writer =
                pool(sqliteSource(jdbc, writeProps), "tally-sqlite-write", 1, connectTimeout, true, null);
        HikariDataSource readers;
        try {
            readers = pool(sqliteSource(jdbc, props), "tally-sqlite-read", poolSize, connectTimeout, true, null);
        } catch (RuntimeException e) {
            writer.close();
            throw e;
        }
        return b.dataSource(writer)
                .readDataSource(readers)
                .onClose(() -> {
                    readers.close();
                    writer.close();
                })
                .build();
    }

    private static JobStore openServer(String url, Clock clock, Dialect d, String scheme, int defaultPort) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new InvalidInputException("url", "not a valid " + scheme + " URL: " + Urls.mask(url));
        }
        if (uri.getHost() == null) {
            throw new InvalidInputException(
                    "url", "expected " + scheme + "://user:password@host:port/database, was " + Urls.mask(url));
        }
        String user = null;
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String info = uri.getRawUserInfo();
            int colon = info.indexOf(':');
            user = decode(colon < 0 ? info : info.substring(0, colon));
            password = colon < 0 ? null : decode(info.substring(colon + 1));
        }
        String db = uri.getPath() == null || uri.getPath().length() <= 1
                ? ""
                : uri.getPath().substring(1);
        if (db.isEmpty()) {
            throw new InvalidInputException("url", "names no database: " + Urls.mask(url));
        }
        Map<String, String> options = uri.getRawQuery() == null ? new LinkedHashMap<>() : query(uri.getRawQuery());
        requireDriver(d);
        JdbcJobStore.Builder b = common(options, clock, d);
        String schema = options.remove("schema");
        if (schema != null) {
            b.schema(identifier("schema", schema));
        }
        int poolSize = intOption(options, "poolSize", 10);
        long connectTimeout = intOption(options, "connectTimeout", 10_000);
        options.remove("poolSize");
        options.remove("connectTimeout");
        int port = uri.getPort() < 0 ? defaultPort : uri.getPort();
        String jdbc = "jdbc:" + scheme + "://" + uri.getHost() + ":" + port + "/" + db;
        Properties props = new Properties();
        if (user != null) {
            props.setProperty("user", user);
        }
        if (password != null) {
            props.setProperty("password", password);
        }
        if (d == PostgresDialect.INSTANCE) {
            props.setProperty("ApplicationName", "tally");
            props.setProperty("reWriteBatchedInserts", "true");
        }
        options.forEach(props::setProperty);
        HikariDataSource pool = pool(
                new DriverDataSource(jdbc, null, props, null, null),
                "tally-" + scheme,
                Math.max(2, poolSize),
                connectTimeout,
                false,
                "TRANSACTION_READ_COMMITTED");
        return b.dataSource(pool)
                .description(Urls.mask(url))
                .secret(password)
                .onClose(pool)
                .build();
    }

    private static JdbcJobStore.Builder common(Map<String, String> options, Clock clock, Dialect d) {
        JdbcJobStore.Builder b = JdbcJobStore.builder().dialect(d).clock(clock);
        String prefix = options.remove("tablePrefix");
        if (prefix != null) {
            b.tablePrefix(identifier("tablePrefix", prefix));
        }
        String migrate = options.remove("migrate");
        if (migrate != null) {
            b.migrate(bool("migrate", migrate));
        }
        String events = options.remove("events");
        if (events != null) {
            b.crossProcessEvents(bool("events", events));
        }
        return b;
    }

    /** @return SQLite's connections, their prepared statements kept ({@link StatementCache}) */
    private static DataSource sqliteSource(String jdbc, Properties props) {
        return StatementCache.wrap(new DriverDataSource(jdbc, null, props, null, null));
    }

    private static HikariDataSource pool(
            DataSource source, String name, int size, long connectTimeout, boolean autoCommit, String isolation) {
        HikariConfig c = new HikariConfig();
        c.setDataSource(source);
        c.setPoolName(name);
        c.setMaximumPoolSize(size);
        c.setMinimumIdle(Math.min(size, 1));
        c.setAutoCommit(autoCommit);
        if (isolation != null) {
            c.setTransactionIsolation(isolation);
        }
        c.setConnectionTimeout(Math.max(250, connectTimeout));
        c.setValidationTimeout(Math.max(250, Math.min(5000, connectTimeout)));
        // Start even when the database is down: each operation then fails with StoreUnavailableException and the
        // store recovers by itself once the database is back.
        c.setInitializationFailTimeout(-1);
        return new HikariDataSource(c);
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            out.put(decode(eq < 0 ? pair : pair.substring(0, eq)), eq < 0 ? "" : decode(pair.substring(eq + 1)));
        }
        if (out.containsKey("prefix")) {
            out.put("tablePrefix", out.remove("prefix"));
        }
        return out;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static int intOption(Map<String, String> options, String name, int dflt) {
        String v = options.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v);
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new InvalidInputException(name, "must be a positive whole number, was '" + v + "'");
        }
    }

    /** @return {@code v}, a URL's schema or table prefix, checked as input (the builder takes it as the caller's) */
    private static String identifier(String name, String v) {
        String why = Tables.whyNot(name, v);
        if (why != null) {
            throw new InvalidInputException(name, why);
        }
        return v;
    }

    private static boolean bool(String name, String v) {
        if (v.equalsIgnoreCase("true") || v.isEmpty()) {
            return true;
        }
        if (v.equalsIgnoreCase("false")) {
            return false;
        }
        throw new InvalidInputException(name, "must be true or false, was '" + v + "'");
    }
}
