package io.tally.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tally.JobState;
import io.tally.Tally;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@link TallyMetricsContract} on SQLite, plus what a store that can fail shows. */
class SqliteStoreMetricsTest extends TallyMetricsContract {
    @Override
    String storeUrl(Path dir) {
        return "sqlite:" + dir.resolve("tally.db");
    }

    @Test
    void aStoreThatDoesNotAnswerShowsGapsNotErrors() {
        TallyMetrics m = new TallyMetrics();
        SimpleMeterRegistry other = new SimpleMeterRegistry();
        Tally t = Tally.builder()
                .url(storeUrl(dir.resolve("closed")))
                .instrumentation(m)
                .build();
        m.bindTo(other);
        t.close();
        try {
            assertThat(other.get("tally.jobs")
                            .tag("state", JobState.RUNNING.name())
                            .gauge()
                            .value())
                    .isNaN();
        } finally {
            other.close();
        }
    }
}
