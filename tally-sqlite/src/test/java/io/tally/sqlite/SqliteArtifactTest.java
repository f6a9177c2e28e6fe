package io.tally.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.Job;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.Tally;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The artifact's own dependencies (no driver named by the test) are enough to open a SQLite store by URL. */
class SqliteArtifactTest {
    @Test
    void aSqliteUrlOpensWithThisArtifactAlone(@TempDir Path dir) {
        try (Tally tally = Tally.open("sqlite:" + dir.resolve("tally.db"))) {
            Job job = tally.create(
                    JobSpec.builder().name("import").total(2).start(true).build());
            job.recordSuccess();
            job.recordFailure("row-17", "bad date");
            job.finish();
            assertThat(tally.get(job.id()).snapshot().state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(job.progress().done()).isEqualTo(2);
        }
    }
}
