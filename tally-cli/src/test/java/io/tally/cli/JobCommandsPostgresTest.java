package io.tally.cli;

import io.tally.testing.TestServices;
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
        TestServices.dropTables(pg, prefix);
    }
}
