package io.tally.store;

import io.tally.JobState;
import java.time.Instant;

/**
 * What a progress reading needs of a job after a record call, without the rest of it: the answer of
 * {@link JobStore#record}.
 *
 * @param state the job's state after the call
 * @param total the total (units of work expected)
 * @param succeeded units that succeeded
 * @param failed units that failed
 * @param startedAt when the job started, nullable
 * @param updatedAt when the job last changed
 * @param rate the rate estimator's state (see {@link RateEstimator})
 * @param job the whole job after the call where the store had it in hand (it applied the rules to the job it read), so
 *     a caller that shows the job after each record need not read it again; null where the store answers with the
 *     progress alone (Redis)
 */
public record RecordedProgress(
        JobState state,
        long total,
        long succeeded,
        long failed,
        Instant startedAt,
        Instant updatedAt,
        RateEstimator.State rate,
        JobRecord job) {

    /** @return the part of {@code r} a progress reading needs, with {@code r} itself */
    public static RecordedProgress of(JobRecord r) {
        return new RecordedProgress(
                r.state(),
                r.total(),
                r.succeeded(),
                r.failed(),
                r.startedAt(),
                r.updatedAt(),
                new RateEstimator.State(r.rate(), r.rateAt(), r.rateAcc()),
                r);
    }

    /**
     * @return this answer without {@link #job}: the progress alone, as every store answers it, so answers of stores
     *     that do and do not keep the job at hand compare equal
     */
    public RecordedProgress withoutJob() {
        return job == null
                ? this
                : new RecordedProgress(state, total, succeeded, failed, startedAt, updatedAt, rate, null);
    }
}
