package io.tally.jdbc;

import io.tally.JobExistsException;
import io.tally.Outcome;
import io.tally.store.ItemUpdate;
import io.tally.store.JobStore;
import io.tally.store.NewJob;
import io.tally.store.ProgressUpdate;
import java.io.PrintStream;
import java.time.Clock;
import java.util.List;

/**
 * The child JVM of {@link SqliteCrashTest}: writes to a SQLite store as fast as it can and prints {@code ack N} after
 * each write returned, until it is killed (or after 60 s, so it never outlives a broken test).
 */
public final class SqliteCrashChild {
    private SqliteCrashChild() {}

    public static void main(String[] args) {
        PrintStream out = System.out;
        long until = System.currentTimeMillis() + 60_000;
        try (JobStore store = new JdbcJobStoreProvider().open("sqlite:" + args[0], Clock.systemUTC())) {
            try {
                store.create(new NewJob("crash", "n", null, null, "{}", 0, true, List.of(), 0, null, null, null, null));
            } catch (JobExistsException e) {
                // a second run
            }
            out.println("ready");
            out.flush();
            for (long i = 1; System.currentTimeMillis() < until; i++) {
                store.await(store.record(
                        "crash",
                        new ProgressUpdate(
                                1, 0, List.of(new ItemUpdate("item-" + i, Outcome.SUCCESS, null)), 0, "at " + i)));
                out.println("ack " + i);
                out.flush();
            }
        }
    }
}
