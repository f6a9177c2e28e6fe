package io.tally.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tally.EventType;
import io.tally.store.JobStore;
import io.tally.store.NewJob;
import io.tally.store.PartUpdate;
import io.tally.store.ProgressUpdate;
import io.tally.store.StoreEvent;
import io.tally.testing.TestServices;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** PostgreSQL LISTEN/NOTIFY: a store hears another store's writes (as another process would), and not its own twice. */
class PostgresEventsIT {

    @Test
    void eventsOfAnotherStoreArriveThroughNotify() throws Exception {
        String base = TestServices.postgresUrl();
        String schema = "ev_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String url = TestServices.withOption(base, "schema=" + schema);
        try (JobStore writer = new JdbcJobStoreProvider().open(url, Clock.systemUTC());
                JobStore listener = new JdbcJobStoreProvider().open(url, Clock.systemUTC())) {
            List<StoreEvent> heard = new CopyOnWriteArrayList<>();
            List<StoreEvent> own = new CopyOnWriteArrayList<>();
            listener.subscribe(heard::add);
            writer.subscribe(own::add);
            // LISTEN starts on a thread of its own: write until the first event is heard.
            writer.create(new NewJob("j0", "n", null, null, "{}", 0, true, List.of(), 0, null, null, null, null));
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                writer.await(writer.record("j0", ProgressUpdate.counts(1, 0)));
                return !heard.isEmpty();
            });
            heard.clear();
            own.clear();
            writer.create(
                    new NewJob("j1", "n", null, null, "{}", 2, false, List.of("{}", "{}"), 0, null, null, null, null));
            writer.await(writer.recordParts("j1", List.of(PartUpdate.success(0), PartUpdate.success(1))));
            // A listener reads the job's row when a notification arrives, so the delete waits until the writes were
            // heard (events of a job deleted before its listeners read it carry no row and are not delivered).
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(heard)
                            .filteredOn(e -> e.record().id().equals("j1"))
                            .extracting(StoreEvent::type)
                            .containsExactly(
                                    EventType.CREATED,
                                    EventType.STARTED,
                                    EventType.PART,
                                    EventType.PART,
                                    EventType.SETTLED,
                                    EventType.FINISHED));
            writer.delete("j1");
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(heard)
                            .filteredOn(e -> e.record().id().equals("j1"))
                            .extracting(StoreEvent::type)
                            .endsWith(EventType.FINISHED, EventType.DELETED)
                            .hasSize(7));
            List<StoreEvent> j1 =
                    heard.stream().filter(e -> e.record().id().equals("j1")).toList();
            assertThat(j1.get(2).part()).isZero();
            assertThat(j1.get(3).part()).isEqualTo(1);
            // The writer hears its own events once, in-process, and never again through NOTIFY.
            await().during(Duration.ofMillis(500))
                    .atMost(Duration.ofSeconds(2))
                    .until(() -> own.stream()
                                    .filter(e -> e.record().id().equals("j1"))
                                    .count()
                            == 7);
        } finally {
            try (Connection c = TestServices.connect(base);
                    Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }
}
