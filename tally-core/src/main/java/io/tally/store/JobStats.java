package io.tally.store;

import io.tally.JobState;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Counts and sums over a set of jobs, added up by the store where the rows are: {@link JobStore#stats}.
 *
 * @param byState jobs per state, every state present (0 included)
 * @param total the sum of the jobs' totals (0 for the whole store, which sums nothing)
 * @param succeeded the sum of their successes
 * @param failed the sum of their failures
 * @param running the rate state of each RUNNING job, to be read at a given instant ({@link RateEstimator#read})
 */
public record JobStats(
        Map<JobState, Long> byState, long total, long succeeded, long failed, List<RateEstimator.State> running) {

    /** @return the stats of no job at all */
    public static JobStats none() {
        return new JobStats(zeros(), 0, 0, 0, List.of());
    }

    /** @return a map of every state to 0, for a store to add its counts to */
    public static Map<JobState, Long> zeros() {
        Map<JobState, Long> m = new EnumMap<>(JobState.class);
        for (JobState s : JobState.values()) {
            m.put(s, 0L);
        }
        return m;
    }
}
