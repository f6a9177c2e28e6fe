package io.tally;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A read of a job's progress.
 *
 * @param total the amount of work, or 0 when unknown; it may grow
 * @param succeeded units that succeeded
 * @param failed units that failed
 * @param pending {@code total − succeeded − failed}, never negative
 * @param percent share of the total that is done (succeeded or failed), 0–100; 100 for a SUCCEEDED job
 * @param rate smoothed recent throughput in units per second (0 when not yet known); see the ETA section of
 *     ARCHITECTURE.md for the estimator
 * @param eta estimated time until the pending units are done, when the total and the rate are known and the job runs
 * @param startedAt when the job started, if it did
 * @param updatedAt when the job was last written
 */
public record Progress(
        long total,
        long succeeded,
        long failed,
        long pending,
        double percent,
        double rate,
        Optional<Duration> eta,
        Optional<Instant> startedAt,
        Instant updatedAt) {

    /** @return succeeded + failed */
    public long done() {
        return succeeded + failed;
    }

    /** @return the estimated finish time {@code now + eta}, when there is an ETA */
    public Optional<Instant> estimatedFinishAt(Instant now) {
        return eta.map(now::plus);
    }
}
