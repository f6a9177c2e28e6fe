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
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A store hears another store's writes on one database (as another process would), and not its own twice: PostgreSQL
 * through LISTEN/NOTIFY, MariaDB through its events table (TableChannel; SQLite's is SqliteCrossProcessEventsTest).
 */
class CrossProcessEventsIT {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "mariadb"})
    void eventsOfAnotherStoreArrive(String kind) throws Exception {
        String unique = "ev" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String url = TestServices.isolatedUrl(kind, dir, unique);
        try (JobStore writer = new JdbcJobStoreProvider().open(url, Clock.systemUTC());
                JobStore listener = new JdbcJobStoreProvider().open(url, Clock.systemUTC())) {
            List<StoreEvent> heard = new CopyOnWriteArrayList<>();
            List<StoreEvent> own = new CopyOnWriteArrayList<>();
            listener.subscribe(heard::add);
            writer.subscribe(own::add);
            writeUntilHeard(writer, "j0", heard);
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
            // The writer hears its own events once, in-process, and never again through the channel.
            await().during(Duration.ofMillis(500))
                    .atMost(Duration.ofSeconds(2))
                    .until(() -> own.stream()
                                    .filter(e -> e.record().id().equals("j1"))
                                    .count()
                            == 7);
        } finally {
            TestServices.dropIsolated(kind, unique);
        }
    }

    /**
     * Many writers at once on MariaDB, whose events table numbers rows before their transactions commit, so rows may
     * become visible out of order (TableChannelIT makes that happen): every job's creation reaches the other store,
     * once.
     */
    @Test
    void concurrentWritersEventsAllArriveOnMariaDb() throws Exception {
        String unique = "ev" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String url = TestServices.isolatedUrl("mariadb", dir, unique);
        try (JobStore writer = new JdbcJobStoreProvider().open(url, Clock.systemUTC());
                JobStore listener = new JdbcJobStoreProvider().open(url, Clock.systemUTC())) {
            List<StoreEvent> heard = new CopyOnWriteArrayList<>();
            listener.subscribe(heard::add);
            writeUntilHeard(writer, "warm", heard);
            int threads = 16;
            int perThread = 25;
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
            try {
                List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int worker = t;
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < perThread; i++) {
                            writer.create(new NewJob(
                                    "c" + worker + "-" + i,
                                    "n",
                                    null,
                                    null,
                                    "{}",
                                    0,
                                    false,
                                    List.of(),
                                    0,
                                    null,
                                    null,
                                    null,
                                    null));
                        }
                        return null;
                    }));
                }
                for (java.util.concurrent.Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            await().atMost(Duration.ofSeconds(20))
                    .untilAsserted(() -> assertThat(heard.stream()
                                    .filter(e -> e.type() == EventType.CREATED
                                            && e.record().id().startsWith("c"))
                                    .map(e -> e.record().id()))
                            .hasSize(threads * perThread)
                            .doesNotHaveDuplicates());
        } finally {
            TestServices.dropIsolated("mariadb", unique);
        }
    }

    /**
     * Creates job {@code id} and records progress on it until {@code heard} has an event: the listener starts on a
     * thread of its own (LISTEN, or the first read of the events table), so events sent before it began are not heard.
     */
    static void writeUntilHeard(JobStore writer, String id, List<StoreEvent> heard) {
        writer.create(new NewJob(id, "n", null, null, "{}", 0, true, List.of(), 0, null, null, null, null));
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            writer.await(writer.record(id, ProgressUpdate.counts(1, 0)));
            return !heard.isEmpty();
        });
    }
}
