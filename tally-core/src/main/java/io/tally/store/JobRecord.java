package io.tally.store;

import io.tally.JobError;
import io.tally.JobQuery;
import io.tally.JobState;
import java.time.Duration;
import java.time.Instant;

/**
 * A job exactly as a store keeps it. Stores build these; {@link io.tally.JobSnapshot} is the public view computed from
 * one. Nullable fields are marked; JSON fields are kept as JSON text so that stores never interpret them.
 *
 * @param id the job id
 * @param name the job name
 * @param scope the scope (e.g. {@code user:3421}), nullable
 * @param parent the parent job id, nullable
 * @param metadataJson metadata as a JSON object text, never null ({@code {}} when empty)
 * @param state the stored state
 * @param total amount of work, 0 when unknown
 * @param succeeded units (or parts) that succeeded
 * @param failed units (or parts) that failed
 * @param parts number of parts, 0 for a job without parts
 * @param toleratedFailures failed parts that still let the job settle and succeed
 * @param settled true once the last part was claimed (the reduce); set exactly once
 * @param createdAt creation time
 * @param startedAt start time, nullable
 * @param updatedAt last write time
 * @param finishedAt time it reached a terminal state, nullable
 * @param timeout execution time limit counted from the start, nullable
 * @param heartbeat heartbeat lease length, nullable
 * @param retainFor how long a finished job is kept, nullable (forever)
 * @param deadline {@code startedAt + timeout} while the job is active, nullable
 * @param leaseUntil heartbeat lease expiry while RUNNING, nullable
 * @param retainUntil {@code finishedAt + retainFor}, nullable
 * @param resultJson result as JSON text, nullable
 * @param error the error of a FAILED or CANCELLED job, nullable
 * @param message the latest status line, nullable
 * @param rate smoothed units per second, nullable until the first estimate (see {@link RateEstimator})
 * @param rateAt when the rate was last folded, nullable
 * @param rateAcc units recorded since {@code rateAt} and not yet folded into the rate
 */
public record JobRecord(
        String id,
        String name,
        String scope,
        String parent,
        String metadataJson,
        JobState state,
        long total,
        long succeeded,
        long failed,
        int parts,
        int toleratedFailures,
        boolean settled,
        Instant createdAt,
        Instant startedAt,
        Instant updatedAt,
        Instant finishedAt,
        Duration timeout,
        Duration heartbeat,
        Duration retainFor,
        Instant deadline,
        Instant leaseUntil,
        Instant retainUntil,
        String resultJson,
        JobError error,
        String message,
        Double rate,
        Instant rateAt,
        long rateAcc) {

    /** @return {@code total − succeeded − failed}, never negative */
    public long pending() {
        return Math.max(0, total - succeeded - failed);
    }

    /** @return true if the job was created with parts */
    public boolean hasParts() {
        return parts > 0;
    }

    /**
     * @return whether this job passes {@code query}'s filters (state, scope, name, parent; not its limit or cursor):
     *     the test of the stores that filter in Java
     */
    public boolean matches(JobQuery query) {
        return query.state().map(s -> s == state).orElse(true)
                && query.scope().map(s -> s.equals(scope)).orElse(true)
                && query.name().map(n -> n.equals(name)).orElse(true)
                && query.parent().map(p -> p.equals(parent)).orElse(true);
    }
}
