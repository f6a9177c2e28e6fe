package io.tally.server;

import io.tally.JobQuery;
import io.tally.JobSnapshot;
import io.tally.Tally;
import io.tally.runner.Runner;
import io.tally.testing.TestServices;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.UUID;
import java.util.function.Function;

/**
 * Two {@code tally serve} processes on one store, as behind a load balancer: each {@link TallyServer} has its own
 * {@link Tally} opened on the same store URL (so its own connections, event subscription, caches and hub), and shares
 * nothing with the other but the store. No sweeper runs unless a test asks ({@code POST /api/sweep}), so a test decides
 * when sweeps happen.
 */
final class TwoServers implements AutoCloseable {
    final String kind;
    final String unique = "ms" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    final Tally tallyA;
    final Tally tallyB;
    final TallyServer a;
    final TallyServer b;
    final Http httpA;
    final Http httpB;
    private final Deque<Runnable> toClose = new ArrayDeque<>();

    /**
     * @param kind {@code sqlite}, {@code postgresql}, {@code mariadb}, {@code redis} or {@code redis-cluster} ({@link
     *     TestServices#isolatedUrl})
     * @param dir the test's own folder (the SQLite file)
     * @param clock both Tallies' clock (one clock, as synchronised machines have)
     * @param runners each server's runner, made over its Tally (the same definitions on both, as each server loads
     *     the same definitions file); null for none
     */
    TwoServers(String kind, Path dir, Clock clock, Function<Tally, Runner> runners) {
        this.kind = kind;
        String url = TestServices.isolatedUrl(kind, dir, unique);
        try {
            tallyA = open(url, clock);
            tallyB = open(url, clock);
            a = serve(tallyA, runners);
            b = serve(tallyB, runners);
        } catch (RuntimeException e) {
            toClose.forEach(Runnable::run); // what was opened before the failure: no test will close it
            throw e;
        }
        httpA = new Http(a.url());
        httpB = new Http(b.url());
    }

    private Tally open(String url, Clock clock) {
        Tally t = Tally.builder().url(url).clock(clock).build();
        toClose.push(t::close);
        return t;
    }

    private TallyServer serve(Tally tally, Function<Tally, Runner> runners) {
        Runner runner = runners == null ? null : runners.apply(tally);
        if (runner != null) {
            toClose.push(runner::close);
        }
        TallyServer server = TallyServer.builder()
                .tally(tally)
                .runner(runner)
                .port(0)
                .sweepInterval(null)
                .build()
                .start();
        toClose.push(server::close);
        return server;
    }

    /** Stops both servers, deletes what the test made and drops the store's tables, whatever failed before. */
    @Override
    public void close() throws SQLException {
        try {
            if (kind.startsWith("redis")) {
                // A Redis namespace is gone once its jobs are (TestServices.dropIsolated has nothing to drop there).
                for (JobSnapshot s :
                        tallyA.query(JobQuery.builder().limit(1000).build()).items()) {
                    tallyA.delete(s.id());
                }
            }
        } finally {
            while (!toClose.isEmpty()) {
                toClose.pop().run();
            }
            TestServices.dropIsolated(kind, unique);
        }
    }
}
