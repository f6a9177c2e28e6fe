package io.tally.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.InvalidInputException;
import io.tally.JobState;
import io.tally.store.JobRecord;
import io.tally.store.JobStore;
import io.tally.store.NewJob;
import io.tally.store.PartUpdate;
import io.tally.store.PartsOutcome;
import io.tally.store.ProgressUpdate;
import io.tally.testing.TestServices;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The SQL store's group commit on PostgreSQL: writes of many callers to many jobs, combined into shared transactions,
 * each get their own answer, and one caller's refused write (text PostgreSQL cannot store) fails that caller only.
 */
class GroupCommitIT {

    @Test
    void combinedWritesEachGetTheirOwnAnswerAndABadOneFailsAlone() throws Exception {
        String base = TestServices.postgresUrl();
        String schema = "gc_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        int jobs = 6;
        int threads = 32;
        int rounds = 150; // and 32 * 150 = 4,800 delivery slots for 2 * 6 * 100 = 1,200 part deliveries
        int parts = 100;
        String prop = System.getProperty("tally.seed");
        long seed = prop == null || prop.isBlank() ? System.nanoTime() : Long.parseLong(prop);
        System.out.println("GroupCommitIT seed " + seed + " (-Dtally.seed=" + seed + ")");
        try (JobStore store =
                new JdbcJobStoreProvider().open(TestServices.withOption(base, "schema=" + schema), Clock.systemUTC())) {
            for (int j = 0; j < jobs; j++) {
                store.create(new NewJob("c" + j, "n", null, null, "{}", 0, true, List.of(), 0, null, null, null, null));
                store.create(new NewJob(
                        "p" + j,
                        "n",
                        null,
                        null,
                        "{}",
                        0,
                        true,
                        Collections.nCopies(parts, "{}"),
                        0,
                        null,
                        null,
                        null,
                        null));
            }
            // Every part of every parts job, delivered twice, in a random order spread over the threads.
            List<int[]> deliveries = new ArrayList<>();
            for (int copy = 0; copy < 2; copy++) {
                for (int j = 0; j < jobs; j++) {
                    for (int p = 0; p < parts; p++) {
                        deliveries.add(new int[] {j, p});
                    }
                }
            }
            Collections.shuffle(deliveries, new Random(seed));
            AtomicInteger refused = new AtomicInteger();
            AtomicInteger lasts = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Callable<Void>> tasks = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    tasks.add(() -> {
                        for (int i = 0; i < rounds; i++) {
                            String job = "c" + (i + thread) % jobs;
                            if (thread % 8 == 0 && i % 10 == 0) {
                                // A NUL character: PostgreSQL refuses the text, and only this call may fail.
                                try {
                                    store.await(store.record(job, new ProgressUpdate(1, 0, List.of(), 0, "a\0b")));
                                } catch (InvalidInputException expected) {
                                    refused.incrementAndGet();
                                }
                            } else {
                                store.await(store.record(job, ProgressUpdate.counts(1, 0)));
                            }
                            int d = i * threads + thread;
                            if (d < deliveries.size()) {
                                int[] jp = deliveries.get(d);
                                PartsOutcome o =
                                        store.await(store.recordParts("p" + jp[0], List.of(PartUpdate.success(jp[1]))));
                                lasts.addAndGet(o.last() ? 1 : 0);
                            }
                        }
                        return null;
                    });
                }
                for (Future<Void> f : pool.invokeAll(tasks)) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            long bad = threads / 8 * (rounds / 10);
            assertThat(refused.get()).isEqualTo(bad);
            long counted = 0;
            for (int j = 0; j < jobs; j++) {
                counted += store.find("c" + j).orElseThrow().succeeded();
            }
            assertThat(counted).isEqualTo((long) threads * rounds - bad);
            assertThat(lasts.get()).as("one last per parts job").isEqualTo(jobs);
            for (int j = 0; j < jobs; j++) {
                JobRecord r = store.find("p" + j).orElseThrow();
                assertThat(r.state()).isEqualTo(JobState.SUCCEEDED);
                assertThat(r.succeeded()).isEqualTo(parts);
            }
        } finally {
            try (Connection c = TestServices.connect(base);
                    Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }
}
