package io.tally.mariadb;

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

/** The artifact's own dependencies (no driver named by the test) are enough to open a MariaDB store by URL. */
class MariadbArtifactIT {
    @Test
    void aMariadbUrlOpensWithThisArtifactAlone() throws Exception {
        String url = TestServices.mariadbUrl();
        String p = "artifact_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10) + "_";
        try (Tally tally = Tally.open(TestServices.withOption(url, "tablePrefix=" + p))) {
            Job job = tally.create(
                    JobSpec.builder().name("import").total(2).start(true).build());
            job.recordSuccess();
            job.recordFailure("row-17", "bad date");
            job.finish();
            assertThat(tally.get(job.id()).snapshot().state()).isEqualTo(JobState.SUCCEEDED);
        } finally {
            try (Connection c = TestServices.connect(url);
                    Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS " + p + "logs, " + p + "items, " + p + "parts, " + p + "jobs, " + p
                        + "schema_version");
            }
        }
    }
}
