package io.tally.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.JobState;
import io.tally.store.JobRecord;
import io.tally.store.JobStore;
import io.tally.store.NewJob;
import io.tally.store.PartUpdate;
import io.tally.store.PartsOutcome;
import io.tally.store.ProgressUpdate;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two stores on one SQLite file (as two processes would be): each sees the other's writes, one settle in all. */
class SqliteSharedFileTest {
    @TempDir
    Path dir;

    @Test
    void twoStoresOnOneFileSeeEachOthersWritesAndSettleOnce() throws Exception {
        String url = "sqlite:" + dir.resolve("shared.db");
        long seed = new Random().nextLong();
        System.out.println("twoStoresOnOneFile: seed " + seed);
        try (JobStore a = new JdbcJobStoreProvider().open(url, Clock.systemUTC());
                JobStore b = new JdbcJobStoreProvider().open(url, Clock.systemUTC())) {
            a.create(new NewJob("counted", "n", null, null, "{}", 0, true, List.of(), 0, null, null, null, null));
            b.await(b.record("counted", ProgressUpdate.counts(2, 1)));
            assertThat(a.find("counted").orElseThrow().succeeded()).isEqualTo(2);

            int parts = 300;
            List<String> payloads = Collections.nCopies(parts, "{}");
            b.create(new NewJob("parted", "p", null, null, "{}", parts, true, payloads, 0, null, null, null, null));
            assertThat(a.find("parted")).isPresent();

            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<PartsOutcome>> results = new ArrayList<>();
                Random random = new Random(seed);
                List<Callable<PartsOutcome>> tasks = new ArrayList<>();
                for (int round = 0; round < 2; round++) { // every part is delivered twice, once through each store
                    for (JobStore s : List.of(a, b)) {
                        List<Integer> order = new ArrayList<>(
                                IntStream.range(0, parts).boxed().toList());
                        Collections.shuffle(order, random);
                        for (int i = 0; i < parts; i += 10) {
                            List<PartUpdate> batch = order.subList(i, i + 10).stream()
                                    .map(PartUpdate::success)
                                    .toList();
                            tasks.add(() -> s.await(s.recordParts("parted", batch)));
                        }
                    }
                }
                Collections.shuffle(tasks, random);
                for (Callable<PartsOutcome> t : tasks) {
                    results.add(pool.submit(t));
                }
                long lasts = 0;
                for (Future<PartsOutcome> f : results) {
                    if (f.get().last()) {
                        lasts++;
                    }
                }
                assertThat(lasts).isEqualTo(1);
            } finally {
                pool.shutdownNow();
            }
            for (JobStore s : List.of(a, b)) {
                JobRecord r = s.find("parted").orElseThrow();
                assertThat(r.state()).isEqualTo(JobState.SUCCEEDED);
                assertThat(r.succeeded()).isEqualTo(parts);
                assertThat(r.settled()).isTrue();
            }
        }
        try (Connection c = DriverManager.getConnection("jdbc:" + url);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualToIgnoringCase("wal");
        }
    }
}
