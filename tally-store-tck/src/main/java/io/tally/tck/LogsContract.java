package io.tally.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.Job;
import io.tally.store.LogEntry;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Log records kept with a job, numbered by the store and paged by sequence. */
public interface LogsContract extends StoreFixture {

    @Test
    default void logsAreNumberedAndPaged() {
        Job job = running(0);
        for (int i = 1; i <= 25; i++) {
            job.log(i % 5 == 0 ? "WARN" : "INFO", "line " + i);
        }
        List<LogEntry> first = job.logs(0, 10);
        assertThat(first).hasSize(10);
        assertThat(first.get(0).seq()).isEqualTo(1);
        assertThat(first.get(0).message()).isEqualTo("line 1");
        assertThat(first.get(4).level()).isEqualTo("WARN");
        List<LogEntry> rest = job.logs(first.get(9).seq(), 100);
        assertThat(rest).hasSize(15);
        assertThat(rest.get(14).message()).isEqualTo("line 25");
        assertThat(rest.get(14).at()).isEqualTo(clock().instant());
        assertThat(rest.get(14).toString()).contains("line 25");
    }
}
