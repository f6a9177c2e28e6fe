package io.tally.runner;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the real services the ITs use: {@code TALLY_TEST_REDIS_URL} / {@code TALLY_TEST_POSTGRES_URL}, else the local
 * default. An unreachable service skips the test, unless {@code TALLY_REQUIRE_SERVICES=1}, which fails it.
 */
final class TestServices {
    private TestServices() {}

    static String redisUrl() {
        String url = env("TALLY_TEST_REDIS_URL", "redis://127.0.0.1:6379");
        RedisClient c = RedisClient.create(url);
        try (StatefulRedisConnection<String, String> conn = c.connect()) {
            conn.sync().ping();
        } catch (RuntimeException e) {
            unavailable("Redis at " + url, e);
        } finally {
            c.shutdown(Duration.ZERO, Duration.ZERO);
        }
        return url;
    }

    /** @return the Tally URL of the test PostgreSQL (without a schema parameter) */
    static String postgresUrl() {
        String url = env("TALLY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test");
        try (Connection c = jdbc(url)) {
            c.isValid(5);
        } catch (Exception e) {
            unavailable("PostgreSQL at " + url, e);
        }
        return url;
    }

    /** Opens a plain JDBC connection to a {@code postgresql://user[:password]@host:port/db} URL. */
    static Connection jdbc(String url) throws Exception {
        java.net.URI u = java.net.URI.create(url);
        String[] user = u.getUserInfo() == null
                ? new String[] {"postgres"}
                : u.getUserInfo().split(":", 2);
        int port = u.getPort() < 0 ? 5432 : u.getPort();
        return DriverManager.getConnection(
                "jdbc:postgresql://" + u.getHost() + ":" + port + u.getPath(),
                user[0],
                user.length > 1 ? user[1] : null);
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    private static void unavailable(String what, Exception e) {
        if ("1".equals(System.getenv("TALLY_REQUIRE_SERVICES"))) {
            Assertions.fail(what + " is required (TALLY_REQUIRE_SERVICES=1) but unreachable: " + e);
        }
        Assumptions.abort(what + " unreachable: " + e);
    }
}
