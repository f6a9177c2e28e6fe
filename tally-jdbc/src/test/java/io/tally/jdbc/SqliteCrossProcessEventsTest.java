package io.tally.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tally.EventFilter;
import io.tally.EventType;
import io.tally.Job;
import io.tally.JobEvent;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.Subscription;
import io.tally.Tally;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two JVMs on one SQLite file: a subscriber in one hears every lifecycle event of a job the other runs. */
class SqliteCrossProcessEventsTest {
    @TempDir
    Path dir;

    @Test
    void aSubscriberHearsAnotherProcesssJobFromCreatedToFinishedWithinASecond() throws Exception {
        Path db = dir.resolve("shared.db");
        List<JobEvent> heard = new CopyOnWriteArrayList<>();
        try (Tally here = Tally.open("sqlite:" + db);
                Subscription sub = here.subscribe(EventFilter.all(), heard::add)) {
            String java =
                    Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process child = new ProcessBuilder(
                            java,
                            "-cp",
                            System.getProperty("java.class.path"),
                            SqliteEventsChild.class.getName(),
                            db.toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            try (BufferedReader in =
                    new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                assertThat(in.readLine()).isEqualTo("ready");
                child.getOutputStream().write('\n');
                child.getOutputStream().flush();
                String finished = in.readLine();
                assertThat(finished).startsWith("finished ");
                String id = finished.substring("finished ".length());
                await().atMost(Duration.ofSeconds(1))
                        .pollInterval(Duration.ofMillis(10))
                        .untilAsserted(() -> assertThat(heard)
                                .filteredOn(e -> e.jobId().equals(id))
                                .extracting(JobEvent::type)
                                .contains(EventType.FINISHED));
                List<EventType> types = heard.stream()
                        .filter(e -> e.jobId().equals(id))
                        .map(JobEvent::type)
                        .toList();
                assertThat(types).startsWith(EventType.CREATED, EventType.STARTED);
                // (progress is notified after its commit, coalesced per 100 ms: it may come after FINISHED)
                assertThat(types).as("progress, coalesced").contains(EventType.PROGRESS);
                assertThat(types).filteredOn(t -> t != EventType.PROGRESS).endsWith(EventType.FINISHED);
                assertThat(heard.get(heard.size() - 1).snapshot().result(String.class))
                        .contains("done");
            } finally {
                child.destroy();
                child.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aFileWhoseSchemaPredatesTheEventsTableStillTakesWrites() throws Exception {
        Path db = dir.resolve("old.db");
        try (Tally t = Tally.open("sqlite:" + db)) {
            t.create(JobSpec.builder().name("before").build());
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
                Statement st = c.createStatement()) {
            st.execute("DROP TABLE tally_events"); // as a file made by a version-1 schema
            st.execute("DELETE FROM tally_schema_version WHERE version = 2");
        }
        try (Tally old = Tally.open("sqlite:" + db + "?migrate=false")) {
            Job job = old.create(JobSpec.builder().name("after").start(true).build());
            job.recordSuccess("a");
            job.finish();
            assertThat(job.snapshot().state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(job.snapshot().succeeded()).isEqualTo(1);
        }
    }
}
