package io.tally.postgresql;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.Job;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.Tally;
import io.tally.testing.TestServices;
import java.sql.Connection;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The artifact's own dependencies (no driver named by the test) are enough to open a PostgreSQL store by URL. */
class PostgresqlArtifactIT {
    @Test
    void aPostgresqlUrlOpensWithThisArtifactAlone() throws Exception {
        String url = TestServices.postgresUrl();
        String schema =
                "artifact_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Tally tally = Tally.open(TestServices.withOption(url, "schema=" + schema))) {
            Job job = tally.create(
                    JobSpec.builder().name("import").total(2).start(true).build());
            job.recordSuccess();
            job.recordFailure("row-17", "bad date");
            job.finish();
            assertThat(tally.get(job.id()).snapshot().state()).isEqualTo(JobState.SUCCEEDED);
        } finally {
            try (Connection c = TestServices.connect(url);
                    Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }
}
