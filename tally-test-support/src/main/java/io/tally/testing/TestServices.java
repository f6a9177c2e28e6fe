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
 * {@code TALLY_TEST_NATS_URL} (NATS with JetStream), {@code TALLY_TEST_DYNAMODB_URL} (dynalite),
 * {@code TALLY_TEST_SQS_URL} (ElasticMQ), {@code TALLY_TEST_REDIS_CLUSTER_URL} (a Redis Cluster of six nodes), else
 * the local default port (for dynalite and ElasticMQ: the port {@code scripts/services.sh} wrote to
 * {@code $TALLY_DYNALITE_DIR/port} and {@code $TALLY_ELASTICMQ_DIR/port}; for the Redis Cluster: the URL it wrote to
 * {@code $TALLY_REDIS_CLUSTER_DIR/url}). A server that does not answer skips the test ({@link Assumptions#abort}),
 * unless {@code TALLY_REQUIRE_SERVICES=1} (set by CI), which fails it. A server is probed once per test run, with a
 * plain TCP connection (a cluster: its first node), so this class needs no driver.
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
        String port = written("dynalite port", "TALLY_DYNALITE_DIR", "/tmp/tally-dynalite", "port", "[0-9]{1,5}");
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
        String port = written("ElasticMQ port", "TALLY_ELASTICMQ_DIR", "/tmp/tally-elasticmq", "port", "[0-9]{1,5}");
        return require("sqs://127.0.0.1:" + port + "?region=us-east-1", 9324);
    }

    /**
     * @return the Tally URL of the test Redis Cluster, after checking its first node answers:
     *     {@code TALLY_TEST_REDIS_CLUSTER_URL}, else the URL {@code scripts/services.sh} wrote to
     *     {@code $TALLY_REDIS_CLUSTER_DIR/url} (default folder {@code /tmp/tally-redis-cluster}):
     *     {@code redis-cluster://127.0.0.1:P1,…,127.0.0.1:P6}, six nodes, three masters with a replica each
     */
    public static String redisClusterUrl() {
        String given = System.getenv("TALLY_TEST_REDIS_CLUSTER_URL");
        if (given != null && !given.isBlank()) {
            return require(given.trim(), 6379);
        }
        return require(
                written(
                        "Redis Cluster URL",
                        "TALLY_REDIS_CLUSTER_DIR",
                        "/tmp/tally-redis-cluster",
                        "url",
                        "redis-cluster://\\S+"),
                6379);
    }

    /**
     * @return the nodes of {@link #redisClusterUrl()} as {@code host:port} (port 6379 where the URL names none), in the
     *     URL's order, for tests that talk to a single node; checked and skipped as that method is
     */
    public static List<String> redisClusterNodes() {
        String authority = redisClusterUrl().replaceFirst("^[^:]+://", "").replaceFirst("[/?#].*$", "");
        List<String> nodes = new ArrayList<>();
        for (String node : authority.substring(authority.lastIndexOf('@') + 1).split(",")) {
            node = node.trim();
            if (!node.isEmpty()) {
                nodes.add(node.matches(".*:[0-9]+") ? node : node + ":6379");
            }
        }
        return List.copyOf(nodes);
    }

    /**
     * @return what {@code scripts/services.sh} wrote for {@code what} to {@code file} in the folder named by
     *     {@code dirEnv} (else {@code defaultDir}), if it matches {@code pattern}; aborts the test if there is none
     *     (fails it under {@code TALLY_REQUIRE_SERVICES=1})
     */
    private static String written(String what, String dirEnv, String defaultDir, String file, String pattern) {
        java.nio.file.Path path = java.nio.file.Path.of(env(dirEnv, defaultDir), file);
        String value;
        try {
            value = java.nio.file.Files.readString(path).trim();
        } catch (IOException e) {
            value = "";
        }
        if (!value.matches(pattern)) {
            String why = "no " + what + " in " + path + " (start it with scripts/services.sh)";
            if ("1".equals(System.getenv("TALLY_REQUIRE_SERVICES"))) {
                Assertions.fail(why + " (TALLY_REQUIRE_SERVICES=1)");
            }
            Assumptions.abort(why);
        }
        return value;
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
     * SQLite, tables prefixed {@code unique_} on PostgreSQL and MariaDB, the namespace {@code unique} on Redis and on
     * the test Redis Cluster. Several {@code Tally}s opened on it share the store, as processes would. {@link
     * #dropIsolated} removes it.
     *
     * @param kind {@code sqlite}, {@code postgresql}, {@code mariadb}, {@code redis} or {@code redis-cluster}
     * @param dir a folder of the test's own (a JUnit {@code @TempDir})
     * @param unique letters and digits, unique to the test
     */
    public static String isolatedUrl(String kind, java.nio.file.Path dir, String unique) {
        return switch (kind) {
            case "sqlite" -> "sqlite:" + dir.resolve("tally.db");
            case "postgresql" -> withOption(postgresUrl(), "tablePrefix=" + unique + "_");
            case "mariadb" -> withOption(mariadbUrl(), "tablePrefix=" + unique + "_");
            case "redis" -> withOption(redisUrl(), "namespace=" + unique);
            case "redis-cluster" -> withOption(redisClusterUrl(), "namespace=" + unique);
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

    /**
     * @return "" if something accepts a TCP connection at the URL's host and port (of a URL naming several, as
     *     {@code redis-cluster://h1:p1,h2:p2}, the first), else why not
     */
    private static String probe(String url, int defaultPort) {
        URI uri = URI.create(url.replaceFirst("^([^:/?#]+://[^/?#,]*),[^/?#]*", "$1"));
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
