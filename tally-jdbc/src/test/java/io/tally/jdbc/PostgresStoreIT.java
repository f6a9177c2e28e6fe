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

/** The conformance kit against PostgreSQL, each test in a fresh schema dropped afterwards. */
class PostgresStoreIT extends io.tally.tck.JobStoreTck implements JdbcExtrasContract {
    private static final List<String> SCHEMAS = new ArrayList<>();

    @Override
    protected JobStore openStore(Clock clock) {
        String url = TestServices.postgresUrl();
        dropAll(url);
        String schema = "tck_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        synchronized (SCHEMAS) {
            SCHEMAS.add(schema);
        }
        return new JdbcJobStoreProvider().open(TestServices.withOption(url, "schema=" + schema + "&poolSize=8"), clock);
    }

    @Override
    public int fuzzThreads() {
        return 32;
    }

    @org.junit.jupiter.api.Test
    void theNulCharacterIsRejectedAsBadInputNotAnOutage() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store().create(new io.tally.store.NewJob(
                        "nul", "a\u0000b", null, null, "{}", 0, false, List.of(), 0, null, null, null, null)))
                .isInstanceOf(io.tally.InvalidInputException.class);
        org.assertj.core.api.Assertions.assertThat(store().find("nul")).isEmpty();
    }

    /** Drops the schemas of earlier tests, whose stores the kit closed already. */
    private static void dropAll(String url) {
        List<String> drop;
        synchronized (SCHEMAS) {
            drop = new ArrayList<>(SCHEMAS);
            SCHEMAS.clear();
        }
        if (drop.isEmpty()) {
            return;
        }
        try (Connection c = TestServices.connect(url);
                Statement s = c.createStatement()) {
            for (String schema : drop) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop test schemas " + drop, e);
        }
    }

    @AfterAll
    static void dropSchemas() {
        if (!SCHEMAS.isEmpty()) {
            dropAll(TestServices.postgresUrl());
        }
    }
}
