package io.tally.redis;

import io.tally.JobState;
import io.tally.store.JobStats;
import io.tally.store.RateEstimator;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Adds up the answers of {@code count.lua}, one per bucket, into one {@link JobStats}. */
final class StatsSum {
    /** Calls {@code count.lua} in tree mode on one bucket. */
    interface CountCall {
        /**
         * @param read jobs of the bucket to read (and walk down from)
         * @param parents jobs of any bucket whose children in this bucket to read (and walk down from)
         * @return the jobs read: id, state, total, succeeded, failed, rate, rateAt, rateAcc each
         */
        List<Object> count(Keys.Bucket bucket, List<String> read, List<String> parents);
    }

    /**
     * The stats of a job and its descendants. The root's bucket reads it and walks down its own parent indexes; then
     * every other bucket is asked for the children of the jobs found, each walking down its own indexes in turn, until
     * no bucket finds more (on a server's single bucket: one call, the whole walk).
     */
    static JobStats ofTree(Keys keys, String root, CountCall count) {
        StatsSum sum = new StatsSum();
        Keys.Bucket home = keys.bucketOf(root);
        Map<Keys.Bucket, List<String>> ask = new LinkedHashMap<>();
        askOthers(keys, ask, home, sum.addJobs(count.count(home, List.of(root), List.of())));
        while (!ask.isEmpty()) {
            Iterator<Map.Entry<Keys.Bucket, List<String>>> next = ask.entrySet().iterator();
            Map.Entry<Keys.Bucket, List<String>> e = next.next();
            next.remove();
            askOthers(keys, ask, e.getKey(), sum.addJobs(count.count(e.getKey(), List.of(), e.getValue())));
        }
        return sum.stats();
    }

    /** Asks every bucket but {@code from}, which walked their children already, for the children of {@code found}. */
    private static void askOthers(Keys keys, Map<Keys.Bucket, List<String>> ask, Keys.Bucket from, List<String> found) {
        if (found.isEmpty()) {
            return;
        }
        for (Keys.Bucket b : keys.buckets()) {
            if (b != from) {
                ask.computeIfAbsent(b, x -> new ArrayList<>()).addAll(found);
            }
        }
    }

    private final Map<JobState, Long> counts = JobStats.zeros();
    private final List<RateEstimator.State> running = new ArrayList<>();
    private final Set<String> seen = new HashSet<>();
    private long total;
    private long succeeded;
    private long failed;

    /** Adds a bucket's state index sizes (mode {@code all}: six counts, in {@link JobState} order). */
    void addCounts(List<Object> reply) {
        for (JobState s : JobState.values()) {
            counts.merge(s, (Long) reply.get(s.ordinal()), Long::sum);
        }
    }

    /**
     * Adds the jobs a bucket read (mode {@code tree}: id, state, total, succeeded, failed, rate, rateAt, rateAcc per
     * job), each job once however often it was found (parent links can form a cycle through a reused id).
     *
     * @return the ids of the jobs not seen before
     */
    List<String> addJobs(List<Object> reply) {
        List<String> found = new ArrayList<>(reply.size() / 8);
        for (int i = 0; i + 7 < reply.size(); i += 8) {
            String id = (String) reply.get(i);
            if (!seen.add(id)) {
                continue;
            }
            found.add(id);
            JobState state = JobState.valueOf((String) reply.get(i + 1));
            counts.merge(state, 1L, Long::sum);
            total += Long.parseLong((String) reply.get(i + 2));
            succeeded += Long.parseLong((String) reply.get(i + 3));
            failed += Long.parseLong((String) reply.get(i + 4));
            if (state == JobState.RUNNING) {
                String rate = (String) reply.get(i + 5);
                String rateAt = (String) reply.get(i + 6);
                String rateAcc = (String) reply.get(i + 7);
                running.add(new RateEstimator.State(
                        rate.isEmpty() ? null : Double.valueOf(rate),
                        rateAt.isEmpty() ? null : Instant.ofEpochMilli(Long.parseLong(rateAt)),
                        rateAcc.isEmpty() ? 0 : Long.parseLong(rateAcc)));
            }
        }
        return found;
    }

    JobStats stats() {
        return new JobStats(counts, total, succeeded, failed, running);
    }
}
