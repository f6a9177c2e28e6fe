package io.tally.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tally.store.JobRecord;
import io.tally.store.JobStore;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety: a child JVM writing through SQLite is killed with SIGKILL in the middle of its writes; the file is
 * reopened, every write the child saw acknowledged is there, and {@code PRAGMA integrity_check} says ok.
 */
class SqliteCrashTest {
    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedWriteSurvivesAKill() throws Exception {
        Path db = dir.resolve("crash.db");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(
                        java,
                        "-cp",
                        System.getProperty("java.class.path"),
                        SqliteCrashChild.class.getName(),
                        db.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        AtomicLong acked = new AtomicLong();
        Thread reader = new Thread(() -> {
            try (BufferedReader in =
                    new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.startsWith("ack ")) {
                        acked.set(Long.parseLong(line.substring(4)));
                    }
                }
            } catch (Exception ignored) {
                // the child died
            }
        });
        reader.start();
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> acked.get() >= 300 || !child.isAlive());
        } finally {
            child.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no close
            child.waitFor();
            reader.join(10_000);
        }
        long seen = acked.get();
        assertThat(seen).as("acknowledged writes before the kill").isGreaterThanOrEqualTo(300);

        try (JobStore store = new JdbcJobStoreProvider().open("sqlite:" + db, Clock.systemUTC())) {
            JobRecord r = store.find("crash").orElseThrow();
            assertThat(r.succeeded()).isGreaterThanOrEqualTo(seen);
            assertThat(store.items("crash", null, null, 1000).items().size()).isGreaterThanOrEqualTo(300);
            assertThat(store.items("crash", null, null, 1_000_000).items())
                    .extracting(i -> i.key())
                    .contains("item-" + seen);
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("ok");
        }
        assertThat(new File(db.toString())).exists();
    }
}
