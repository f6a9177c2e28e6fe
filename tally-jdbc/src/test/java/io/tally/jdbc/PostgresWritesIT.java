package io.tally.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tally.EventType;
import io.tally.store.JobRecord;
import io.tally.store.JobStore;
import io.tally.store.NewJob;
import io.tally.store.PartsOutcome;
import io.tally.store.ProgressUpdate;
import io.tally.store.RecordedProgress;
import io.tally.store.StoreEvent;
import io.tally.store.memory.MemoryJobStore;
import io.tally.testing.MutableClock;
import io.tally.testing.TestServices;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * What PostgreSQL stores after a write is what the rules decided, field for field (the rate bit for bit through a
 * DOUBLE PRECISION column), whether the write went alone or combined with others; and progress-only writes reach other
 * processes as coalesced notifications sent after the commit.
 */
class PostgresWritesIT {

    private static String schema() {
        return "fp_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    private static void drop(String base, String schema) throws Exception {
        try (Connection c = TestServices.connect(base);
                Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }

    @Test
    void countsAndRateMatchTheReferenceStoreExactly() throws Exception {
        String base = TestServices.postgresUrl();
        String schema = schema();
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00.123Z"));
        Random random = new Random(42);
        try (JobStore pg = new JdbcJobStoreProvider().open(TestServices.withOption(base, "schema=" + schema), clock);
                JobStore memory = new MemoryJobStore(clock)) {
            for (String id : List.of("hb", "plain")) {
                NewJob job = new NewJob(
                        id,
                        "n",
                        null,
                        null,
                        "{}",
                        1000,
                        true,
                        List.of(),
                        0,
                        null,
                        id.equals("hb") ? Duration.ofSeconds(30) : null,
                        null,
                        null);
                pg.create(job);
                memory.create(job);
            }
            for (int i = 0; i < 300; i++) {
                clock.advance(
                        Duration.ofMillis(random.nextInt(10) == 0 ? random.nextInt(20_000) : random.nextInt(700)));
                String id = random.nextBoolean() ? "hb" : "plain";
                ProgressUpdate u = new ProgressUpdate(
                        random.nextInt(50),
                        random.nextInt(3),
                        List.of(),
                        random.nextInt(4) == 0 ? random.nextInt(10) : 0,
                        random.nextInt(5) == 0 ? "step " + i + " 'quoted' ;" : null);
                RecordedProgress got = pg.await(pg.record(id, u));
                RecordedProgress want = memory.await(memory.record(id, u));
                assertThat(got.withoutJob()).as("step %d", i).isEqualTo(want.withoutJob());
                assertSame(pg.find(id).orElseThrow(), memory.find(id).orElseThrow());
            }
        } finally {
            drop(base, schema);
        }
    }

    private static void assertSame(JobRecord got, JobRecord want) {
        assertThat(got.state()).isEqualTo(want.state());
        assertThat(got.succeeded()).isEqualTo(want.succeeded());
        assertThat(got.failed()).isEqualTo(want.failed());
        assertThat(got.total()).isEqualTo(want.total());
        assertThat(got.message()).isEqualTo(want.message());
        assertThat(got.updatedAt()).isEqualTo(want.updatedAt());
        assertThat(got.leaseUntil()).isEqualTo(want.leaseUntil());
        assertThat(got.deadline()).isEqualTo(want.deadline());
        assertThat(got.rateAt()).isEqualTo(want.rateAt());
        assertThat(got.rateAcc()).isEqualTo(want.rateAcc());
        if (want.rate() == null) {
            assertThat(got.rate()).isNull();
        } else {
            assertThat(Double.doubleToRawLongBits(got.rate()))
                    .as("rate %s vs %s", got.rate(), want.rate())
                    .isEqualTo(Double.doubleToRawLongBits(want.rate()));
        }
    }

    @Test
    void progressNotificationsAreCoalescedAndSentAfterCommit() throws Exception {
        String base = TestServices.postgresUrl();
        String schema = schema();
        String url = TestServices.withOption(base, "schema=" + schema);
        try (JobStore writer = new JdbcJobStoreProvider().open(url, Clock.systemUTC());
                JobStore listener = new JdbcJobStoreProvider().open(url, Clock.systemUTC())) {
            List<StoreEvent> heard = new CopyOnWriteArrayList<>();
            List<StoreEvent> own = new CopyOnWriteArrayList<>();
            listener.subscribe(heard::add);
            writer.subscribe(own::add);
            CrossProcessEventsIT.writeUntilHeard(writer, "j0", heard);
            writer.create(new NewJob("j1", "n", null, null, "{}", 0, true, List.of(), 0, null, null, null, null));
            heard.clear();
            own.clear();
            int n = 200;
            for (int i = 0; i < n; i++) {
                writer.await(writer.record("j1", ProgressUpdate.counts(1, 0)));
            }
            // In-process: every event, at once.
            assertThat(own).hasSize(n).allMatch(e -> e.type() == EventType.PROGRESS);
            // Another process: the last state arrives, in far fewer notifications.
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> heard.stream()
                            .anyMatch(e -> e.record().id().equals("j1")
                                    && e.type() == EventType.PROGRESS
                                    && e.record().succeeded() == n));
            // (j1's CREATED and STARTED may be heard after the clear above: they are sent in their transaction.)
            assertThat(heard.stream()
                            .filter(e -> e.type() == EventType.PROGRESS)
                            .count())
                    .isPositive()
                    .isLessThan(n / 2);
        } finally {
            drop(base, schema);
        }
    }

    @Test
    void singlePartsMatchTheReferenceStoreExactly() throws Exception {
        // New parts of a running job take the one-statement path; duplicates, retries of failed parts, a pending job
        // and the last part take the general one. Every answer and the stored row must be the reference store's.
        String base = TestServices.postgresUrl();
        String schema = schema();
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00.123Z"));
        Random random = new Random(7);
        int parts = 30;
        try (JobStore pg = new JdbcJobStoreProvider().open(TestServices.withOption(base, "schema=" + schema), clock);
                JobStore memory = new MemoryJobStore(clock)) {
            for (String id : List.of("hb", "plain")) {
                List<String> payloads = java.util.Collections.nCopies(parts, "{}");
                NewJob job = new NewJob(
                        id,
                        "n",
                        null,
                        null,
                        "{}",
                        parts,
                        id.equals("hb"), // "plain" starts PENDING: its first part starts it
                        payloads,
                        2,
                        null,
                        id.equals("hb") ? Duration.ofSeconds(30) : null,
                        null,
                        null);
                pg.create(job);
                memory.create(job);
            }
            int lasts = 0;
            for (int i = 0; i < 400; i++) {
                clock.advance(Duration.ofMillis(random.nextInt(900)));
                String id = random.nextBoolean() ? "hb" : "plain";
                io.tally.store.PartUpdate u = random.nextInt(20) == 0
                        ? new io.tally.store.PartUpdate(random.nextInt(parts), io.tally.Outcome.FAILURE, "r" + i, false)
                        : io.tally.store.PartUpdate.success(random.nextInt(parts));
                Object got = answer(() -> pg.await(pg.recordParts(id, List.of(u))));
                Object want = answer(() -> memory.await(memory.recordParts(id, List.of(u))));
                if (want instanceof PartsOutcome w) {
                    assertThat(got).as("step %d", i).isEqualTo(w);
                    lasts += w.last() ? 1 : 0;
                } else {
                    assertThat(got).as("step %d", i).hasSameClassAs(want);
                }
                assertSame(pg.find(id).orElseThrow(), memory.find(id).orElseThrow());
            }
            assertThat(lasts).as("jobs settled during the run").isPositive();
        } finally {
            drop(base, schema);
        }
    }

    private static Object answer(java.util.concurrent.Callable<?> call) {
        try {
            return call.call();
        } catch (Exception e) {
            return e;
        }
    }
}
