package io.tally.jdbc;

import static org.junit.jupiter.api.Assertions.fail;

import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the real servers the ITs run against: {@code TALLY_TEST_POSTGRES_URL} / {@code TALLY_TEST_MARIADB_URL}, else
 * the local default. An unreachable server skips the test, unless {@code TALLY_REQUIRE_SERVICES=1}, which fails it.
 */
final class TestServices {
    private static final Map<String, String> PROBED = new ConcurrentHashMap<>();

    private TestServices() {}

    static String postgresUrl() {
        return require(env("TALLY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"));
    }

    static String mariadbUrl() {
        return require(env("TALLY_TEST_MARIADB_URL", "mariadb://root@127.0.0.1:3306/test"));
    }

    private static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? dflt : v.trim();
    }

    private static String require(String url) {
        String problem = PROBED.computeIfAbsent(url, u -> {
            try (Connection c = connect(u)) {
                return "";
            } catch (SQLException | RuntimeException e) {
                return e.toString();
            }
        });
        if (!problem.isEmpty()) {
            String why = io.tally.internal.Urls.mask(url) + " is unreachable: " + problem;
            if ("1".equals(System.getenv("TALLY_REQUIRE_SERVICES"))) {
                fail(why + " (TALLY_REQUIRE_SERVICES=1)");
            }
            Assumptions.abort(why);
        }
        return url;
    }

    /** @return a plain JDBC connection to the database of a Tally store URL, for setting up and cleaning up */
    static Connection connect(String tallyUrl) throws SQLException {
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

    static String withOption(String url, String option) {
        return url + (url.contains("?") ? "&" : "?") + option;
    }
}
