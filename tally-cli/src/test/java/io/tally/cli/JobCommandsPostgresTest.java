package io.tally.cli;

import io.tally.testing.TestServices;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** The shell worker's commands on PostgreSQL, in tables of their own prefix (dropped after each test). */
class JobCommandsPostgresTest extends JobCommandsContract {
    private final String prefix = "cli_job_" + UUID.randomUUID().toString().substring(0, 8) + "_";
    private String pg;

    @Override
    String storeUrl() {
        pg = TestServices.postgresUrl();
        return TestServices.withOption(pg, "tablePrefix=" + prefix);
    }

    @Override
    void dropStore() throws Exception {
        try (Connection c = TestServices.connect(pg);
                Statement s = c.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rs =
                    s.executeQuery("SELECT table_name FROM information_schema.tables WHERE table_name LIKE '"
                            + prefix.replace("_", "\\_") + "%' AND table_schema = current_schema()")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            for (String t : tables) {
                s.execute("DROP TABLE IF EXISTS \"" + t + "\" CASCADE");
            }
        }
    }
}
