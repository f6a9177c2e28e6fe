package io.tally.store;

import io.tally.JobQuery;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.Page;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The store SPI: the semantic operations Tally needs, each one atomic in the store (a Lua script, one SQL
 * transaction, one lock in memory) with its guards reading the stored state. The core validates input before calling
 * a store; a store only enforces what needs the stored state (existence, transitions, finished jobs, part ranges).
 *
 * <p>Every write takes its time from {@link #clock()}, truncated to milliseconds. Every write that changes a job emits
 * the matching {@link StoreEvent}s through {@link #subscribe}. Store and driver failures are thrown as
 * {@link io.tally.StoreUnavailableException}.
 *
 * <p>A new store proves it keeps these rules by extending the conformance kit ({@code tally-store-tck}).
 */
public interface JobStore extends AutoCloseable {

    /** @return the clock every write takes its time from */
    Clock clock();

    /**
     * Creates a job and its parts in one step; emits CREATED (and STARTED when {@code job.start()}).
     *
     * @throws io.tally.JobExistsException if the id is taken (nothing written)
     */
    JobRecord create(NewJob job);

    /** @return the job, if it exists */
    Optional<JobRecord> find(String id);

    /**
     * Applies increments, keyed items, a total increase and a status line in one step. A PENDING job starts. Emits
     * PROGRESS (and STARTED).
     *
     * @throws io.tally.JobNotFoundException if the job does not exist
     * @throws io.tally.JobFinishedException if the job is terminal
     * @throws io.tally.InvalidInputException if the job has parts (parts are recorded with {@link #recordParts})
     */
    JobRecord record(String id, ProgressUpdate update);

    /**
     * {@link #record} for a caller that needs only the progress after the call, not the whole job (recording through
     * {@link io.tally.Job} and {@link io.tally.Reporter}): same guards, same exceptions, same events. A store whose
     * reply carries the job at a cost answers this with less.
     */
    default RecordedProgress recordBrief(String id, ProgressUpdate update) {
        return RecordedProgress.of(record(id, update));
    }

    /**
     * {@link #recordBrief} without blocking the caller: the stage completes with its answer, or exceptionally with the
     * exception it would have thrown. A store with an asynchronous client keeps many such calls in flight; this default
     * answers before it returns.
     */
    default CompletableFuture<RecordedProgress> recordBriefAsync(String id, ProgressUpdate update) {
        try {
            return CompletableFuture.completedFuture(recordBrief(id, update));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Records part outcomes in one step, idempotent per part; claims the settle exactly once: the call that leaves no
     * part without an outcome, with at most {@code toleratedFailures} failed, gets {@code last = true} and the job
     * SUCCEEDS. A FAILURE with {@code failJob} fails the job ({@code part_failed}). On a terminal job, a call that would
     * change nothing returns {@code changed = 0}; one that would change something throws
     * {@link io.tally.JobFinishedException}. Emits PART, SETTLED, FINISHED or FAILED (and STARTED).
     *
     * @throws io.tally.InvalidInputException if a part number is out of range (nothing written)
     */
    PartsResult recordParts(String id, List<PartUpdate> parts);

    /**
     * {@link #recordParts} for a caller that needs only what the call did, not the job after it (completing and
     * failing parts through {@link io.tally.Tally}): same guards, same exceptions, same events, the same settle. A
     * store whose reply carries the job at a cost (a server round trip) answers this without it.
     */
    default PartsOutcome recordPartsBrief(String id, List<PartUpdate> parts) {
        PartsResult r = recordParts(id, parts);
        return new PartsOutcome(r.changed(), r.remaining(), r.last());
    }

    /**
     * {@link #recordPartsBrief} without blocking the caller: the stage completes with its answer, or exceptionally
     * with the exception it would have thrown. A store with an asynchronous client keeps many such calls in flight;
     * this default answers before it returns.
     */
    default CompletableFuture<PartsOutcome> recordPartsBriefAsync(String id, List<PartUpdate> parts) {
        try {
            return CompletableFuture.completedFuture(recordPartsBrief(id, parts));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Moves a job to another state, guarded by the stored state and {@link JobState#canTransition}. Asking for the
     * current state is a no-op ({@code changed = false}).
     *
     * @throws io.tally.IllegalTransitionException if the table forbids the move
     */
    TransitionResult transition(String id, Transition transition);

    /**
     * Renews the heartbeat lease ({@code now + heartbeat}) of an active job.
     *
     * @throws io.tally.JobFinishedException if the job is terminal
     */
    JobRecord heartbeat(String id);

    /** Lists jobs newest first, served by an index for every filter. */
    Page<JobRecord> query(JobQuery query);

    /** @return jobs per state, for every state (0 included) */
    Map<JobState, Long> countByState();

    /**
     * Lists a job's items by key.
     *
     * @param outcome only items with this outcome; null for all
     * @param afterKey list keys after this one; null to start at the first
     */
    Page<StoredItem> items(String id, Outcome outcome, String afterKey, int limit);

    /**
     * Lists part numbers in ascending order.
     *
     * @param after list parts numbered above this; -1 to start at 0
     */
    List<Integer> parts(String id, PartStatus status, int after, int limit);

    /** @return the stored JSON payload of a part (with {@code jobId} and {@code partId} added) */
    Optional<String> partPayload(String id, int part);

    /** Appends log records to a job's log; the store numbers them. */
    void appendLogs(String id, List<LogEntry> entries);

    /** @return log records with {@code seq > afterSeq}, oldest first */
    List<LogEntry> logs(String id, long afterSeq, int limit);

    /**
     * @return ids of jobs due for {@code kind} at {@code now}, read from that kind's index (lease, deadline,
     *     retention)
     */
    List<String> sweepCandidates(SweepKind kind, Instant now, int limit);

    /**
     * Enforces {@code kind} on one job if it is still due, re-checked against the stored state: fails it as stalled
     * or timed out, or deletes it when its retention ended.
     *
     * @return the job after the change (before it, for a deletion), or empty if it was not due (any more)
     */
    Optional<JobRecord> expire(String id, SweepKind kind);

    /**
     * Deletes a job with its items, parts and logs; emits DELETED.
     *
     * @return false if it did not exist
     */
    boolean delete(String id);

    /**
     * Subscribes to every event of this store, including, for stores with a channel, those written by other
     * processes. The listener must return quickly.
     *
     * @return closes the subscription
     */
    AutoCloseable subscribe(Consumer<StoreEvent> listener);

    /** Releases connections and threads. */
    @Override
    void close();
}
