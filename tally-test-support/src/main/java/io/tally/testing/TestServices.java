package io.tally.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the real servers the integration tests run against: {@code TALLY_TEST_POSTGRES_URL},
 * {@code TALLY_TEST_MARIADB_URL}, {@code TALLY_TEST_REDIS_URL}, {@code TALLY_TEST_AMQP_URL} (RabbitMQ),
 * {@code TALLY_TEST_NATS_URL} (NATS with JetStream), {@code TALLY_TEST_DYNAMODB_URL} (dynalite), else the local default
 * port (for dynalite: the port {@code scripts/services.sh} wrote to {@code $TALLY_DYNALITE_DIR/port}). A server that does not
 * answer skips the test ({@link Assumptions#abort}), unless {@code TALLY_REQUIRE_SERVICES=1} (set by CI), which fails
 * it. A server is probed once per test run, with a plain TCP connection, so this class needs no driver.
 */
public final class TestServices {
    private static final Map<String, String> PROBED = new ConcurrentHashMap<>();

    private TestServices() {}

    /** @return the Tally URL of the test PostgreSQL database, after checking it answers */
    public static String postgresUrl() {
        return require(env("TALLY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"), 5432);
    }

    /** @return the Tally URL of the test MariaDB database, after checking it answers */
    public static String mariadbUrl() {
        return require(env("TALLY_TEST_MARIADB_URL", "mariadb://root@127.0.0.1:3306/test"), 3306);
    }

    /** @return the Tally URL of the test Redis, after checking it answers */
    public static String redisUrl() {
        return require(redisUrlUnchecked(), 6379);
    }

    /** @return the AMQP URL of the test RabbitMQ ({@code TALLY_TEST_AMQP_URL}), after checking it answers */
    public static String rabbitMqUrl() {
        return require(env("TALLY_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672"), 5672);
    }

    /** @return the URL of the test NATS server with JetStream ({@code TALLY_TEST_NATS_URL}), after checking it answers */
    public static String natsUrl() {
        return require(env("TALLY_TEST_NATS_URL", "nats://127.0.0.1:4222"), 4222);
    }

    /** @return the Tally URL of the test Redis, unchecked (for tests that check it themselves) */
    public static String redisUrlUnchecked() {
        return env("TALLY_TEST_REDIS_URL", "redis://127.0.0.1:6379");
    }

    /**
     * @return the Tally URL of the test DynamoDB-compatible server (dynalite), after checking it answers:
     *     {@code TALLY_TEST_DYNAMODB_URL}, else {@code dynamodb://127.0.0.1:PORT?region=us-east-1} with the port
     *     {@code scripts/services.sh} wrote to {@code $TALLY_DYNALITE_DIR/port} (default folder
     *     {@code /tmp/tally-dynalite})
     */
    public static String dynamodbUrl() {
        String given = System.getenv("TALLY_TEST_DYNAMODB_URL");
        if (given != null && !given.isBlank()) {
            return require(given.trim(), 8000);
        }
        String port = portWritten("dynalite", "TALLY_DYNALITE_DIR", "/tmp/tally-dynalite");
        return require("dynamodb://127.0.0.1:" + port + "?region=us-east-1", 8000);
    }

    /**
     * @return the dispatcher URL of the test SQS-compatible server (ElasticMQ), after checking it answers:
     *     {@code TALLY_TEST_SQS_URL}, else {@code sqs://127.0.0.1:PORT?region=us-east-1} with the port
     *     {@code scripts/services.sh} wrote to {@code $TALLY_ELASTICMQ_DIR/port} (default folder
     *     {@code /tmp/tally-elasticmq})
     */
    public static String sqsUrl() {
        String given = System.getenv("TALLY_TEST_SQS_URL");
        if (given != null && !given.isBlank()) {
            // sqs:?region=… is AWS itself, with no host to probe
            return given.trim().startsWith("sqs://") ? require(given.trim(), 9324) : given.trim();
        }
        String port = portWritten("ElasticMQ", "TALLY_ELASTICMQ_DIR", "/tmp/tally-elasticmq");
        return require("sqs://127.0.0.1:" + port + "?region=us-east-1", 9324);
    }

    /**
     * @return the port {@code scripts/services.sh} wrote for {@code server} to {@code port} in the folder named by
     *     {@code dirEnv} (else {@code defaultDir}); aborts the test if there is none (fails it under {@code
     *     TALLY_REQUIRE_SERVICES=1})
     */
    private static String portWritten(String server, String dirEnv, String defaultDir) {
        java.nio.file.Path portFile = java.nio.file.Path.of(env(dirEnv, defaultDir), "port");
        String port;
        try {
            port = java.nio.file.Files.readString(portFile).trim();
        } catch (IOException e) {
            port = "";
        }
        if (!port.matches("[0-9]{1,5}")) {
            String why = "no " + server + " port in " + portFile + " (start it with scripts/services.sh)";
            if ("1".equals(System.getenv("TALLY_REQUIRE_SERVICES"))) {
                Assertions.fail(why + " (TALLY_REQUIRE_SERVICES=1)");
            }
            Assumptions.abort(why);
        }
        return port;
    }

    /** @return {@code url} with {@code option} ({@code name=value}) added to its query */
    public static String withOption(String url, String option) {
        return url + (url.contains("?") ? "&" : "?") + option;
    }

    /**
     * @return a plain JDBC connection to the database of a Tally SQL store URL ({@code postgresql://} or
     *     {@code mariadb://}), for setting up and cleaning up; the driver must be on the test class path
     */
    public static Connection connect(String tallyUrl) throws SQLException {
        URI uri = URI.create(tallyUrl.replaceFirst("^postgres://", "postgresql://"));
        String scheme = uri.getScheme().equals("mysql") ? "mariadb" : uri.getScheme();
        int port = uri.getPort() > 0 ? uri.getPort() : scheme.equals("postgresql") ? 5432 : 3306;
        Properties p = new Properties();
        if (uri.getUserInfo() != null) {
            String[] info = uri.getUserInfo().split(":", 2);
            p.setProperty("user", info[0]);
            if (info.length > 1) {
                p.setProperty("password", info[1]);
            }
        }
        p.setProperty("connectTimeout", scheme.equals("postgresql") ? "3" : "3000");
        return DriverManager.getConnection("jdbc:" + scheme + "://" + uri.getHost() + ":" + port + uri.getPath(), p);
    }

    /**
     * A store URL for a test that runs on every kind of store, in a place of its own: a file in {@code dir} for
     * SQLite, tables prefixed {@code unique_} on PostgreSQL and MariaDB, the namespace {@code unique} on Redis. Several
     * {@code Tally}s opened on it share the store, as processes would. {@link #dropIsolated} removes it.
     *
     * @param kind {@code sqlite}, {@code postgresql}, {@code mariadb} or {@code redis}
     * @param dir a folder of the test's own (a JUnit {@code @TempDir})
     * @param unique letters and digits, unique to the test
     */
    public static String isolatedUrl(String kind, java.nio.file.Path dir, String unique) {
        return switch (kind) {
            case "sqlite" -> "sqlite:" + dir.resolve("tally.db");
            case "postgresql" -> withOption(postgresUrl(), "tablePrefix=" + unique + "_");
            case "mariadb" -> withOption(mariadbUrl(), "tablePrefix=" + unique + "_");
            case "redis" -> withOption(redisUrl(), "namespace=" + unique);
            default -> throw new IllegalArgumentException("no store kind " + kind);
        };
    }

    /**
     * Removes what {@link #isolatedUrl} made on a SQL server (its tables). A SQLite file goes with its temporary
     * folder; on Redis a test deletes its jobs (a namespace has no keys left then).
     */
    public static void dropIsolated(String kind, String unique) throws SQLException {
        switch (kind) {
            case "postgresql" -> dropTables(postgresUrl(), unique + "_");
            case "mariadb" -> dropTables(mariadbUrl(), unique + "_");
            default -> {}
        }
    }

    /**
     * Drops the tables whose names start with {@code prefix} (a test's {@code tablePrefix=}) in the database of a
     * Tally SQL store URL, so test runs leave no tables behind.
     *
     * @param tallyUrl a {@code postgresql://} or {@code mariadb://} URL of the server (its query is ignored)
     * @param prefix the table prefix, letters, digits and {@code _} only
     */
    public static void dropTables(String tallyUrl, String prefix) throws SQLException {
        if (!prefix.matches("[A-Za-z0-9_]+")) {
            throw new IllegalArgumentException("prefix: letters, digits and _ only, was " + prefix);
        }
        boolean postgres = !tallyUrl.startsWith("mariadb") && !tallyUrl.startsWith("mysql");
        try (Connection c = connect(tallyUrl.replaceFirst("\\?.*$", ""));
                Statement s = c.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rs =
                    s.executeQuery("SELECT table_name FROM information_schema.tables WHERE table_name LIKE '"
                            + prefix.replace("_", "\\_") + "%' AND table_schema = "
                            + (postgres ? "current_schema()" : "database()"))) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            for (String t : tables) {
                s.execute("DROP TABLE IF EXISTS " + (postgres ? "\"" + t + "\" CASCADE" : "`" + t + "`"));
            }
        }
    }

    private static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? dflt : v.trim();
    }

    private static String require(String url, int defaultPort) {
        String problem = PROBED.computeIfAbsent(url, u -> probe(u, defaultPort));
        if (!problem.isEmpty()) {
            String why = masked(url) + " does not answer: " + problem;
            if ("1".equals(System.getenv("TALLY_REQUIRE_SERVICES"))) {
                Assertions.fail(why + " (TALLY_REQUIRE_SERVICES=1)");
            }
            Assumptions.abort(why);
        }
        return url;
    }

    /** @return "" if something accepts a TCP connection at the URL's host and port, else why not */
    private static String probe(String url, int defaultPort) {
        URI uri = URI.create(url);
        String host = uri.getHost() == null ? "127.0.0.1" : uri.getHost();
        int port = uri.getPort() > 0 ? uri.getPort() : defaultPort;
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 3000);
            return "";
        } catch (IOException | RuntimeException e) {
            return e.toString();
        }
    }

    /** @return the URL without the password of its user info */
    private static String masked(String url) {
        return url.replaceFirst("://([^:/@]+):[^@]*@", "://$1:***@");
    }
}
