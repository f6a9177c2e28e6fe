package io.tally.jdbc;

import io.tally.store.JobStore;
import io.tally.testing.TestServices;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;

/** The conformance kit against MariaDB, each test with a fresh table prefix whose tables are dropped afterwards. */
class MariaDbStoreIT extends io.tally.tck.JobStoreTck implements JdbcExtrasContract {
    private static final List<String> PREFIXES = new ArrayList<>();

    @Override
    protected JobStore openStore(Clock clock) {
        String url = TestServices.mariadbUrl();
        dropAll(url);
        String prefix = "tck_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10) + "_";
        synchronized (PREFIXES) {
            PREFIXES.add(prefix);
        }
        return new JdbcJobStoreProvider()
                .open(TestServices.withOption(url, "tablePrefix=" + prefix + "&poolSize=8"), clock);
    }

    @Override
    public int fuzzThreads() {
        return 32;
    }

    private static void dropAll(String url) {
        List<String> drop;
        synchronized (PREFIXES) {
            drop = new ArrayList<>(PREFIXES);
            PREFIXES.clear();
        }
        if (drop.isEmpty()) {
            return;
        }
        try (Connection c = TestServices.connect(url);
                Statement s = c.createStatement()) {
            for (String p : drop) {
                s.execute("DROP TABLE IF EXISTS " + p + "logs, " + p + "items, " + p + "parts, " + p + "jobs, " + p
                        + "schema_version");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop test tables " + drop, e);
        }
    }

    @AfterAll
    static void dropTables() {
        if (!PREFIXES.isEmpty()) {
            dropAll(TestServices.mariadbUrl());
        }
    }
}
