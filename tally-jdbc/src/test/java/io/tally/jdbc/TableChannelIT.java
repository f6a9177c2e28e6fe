package io.tally.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tally.store.JobStore;
import io.tally.testing.TestServices;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MariaDB's events table numbers a row when it is inserted, not when its transaction commits: a row that becomes
 * visible after rows with higher numbers must still be delivered, once.
 */
class TableChannelIT {
    @TempDir
    Path dir;

    @Test
    void aRowCommittedAfterALaterOneIsDeliveredOnceAndARolledBackOneNever() throws Exception {
        String unique = "tc" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String url = TestServices.isolatedUrl("mariadb", dir, unique);
        try (JobStore migrated = new JdbcJobStoreProvider().open(url, Clock.systemUTC());
                Connection a = TestServices.connect(url);
                Connection b = TestServices.connect(url);
                SingleConnectionDataSource listenerSource = new SingleConnectionDataSource(TestServices.connect(url))) {
            TableChannel channel = new TableChannel(unique + "_events", null);
            List<String> heard = new CopyOnWriteArrayList<>();
            a.setAutoCommit(false);
            b.setAutoCommit(false);
            try (AutoCloseable listening = channel.listen(listenerSource, heard::add)) {
                // The listener starts after the rows there are: wait until it hears a first one.
                await().atMost(Duration.ofSeconds(10)).until(() -> {
                    channel.send(b, "warm");
                    b.commit();
                    return heard.contains("warm");
                });
                heard.clear(); // (a warm-up row sent meanwhile may still come: they are left out below)

                channel.send(a, "first"); // numbered first, committed last
                channel.send(b, "second");
                b.commit();
                await().atMost(Duration.ofSeconds(10)).until(() -> heard.contains("second"));
                a.commit();
                await().atMost(Duration.ofSeconds(10)).until(() -> heard.contains("first"));

                channel.send(a, "rolled back");
                a.rollback();
                channel.send(b, "last");
                b.commit();
                await().atMost(Duration.ofSeconds(10)).until(() -> heard.contains("last"));
                // A few more polls: the rolled-back row's number is looked for until given up, and never found.
                await().during(Duration.ofMillis(500))
                        .atMost(Duration.ofSeconds(2))
                        .until(() -> tested(heard).size() == 3);
                assertThat(tested(heard)).containsExactly("second", "first", "last");
            }
        } finally {
            TestServices.dropIsolated("mariadb", unique);
        }
    }

    private static List<String> tested(List<String> heard) {
        return heard.stream().filter(h -> !h.equals("warm")).toList();
    }
}
