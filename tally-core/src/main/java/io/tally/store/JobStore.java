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
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The store SPI: the semantic operations Tally needs, each one atomic in the store (a Lua script, one SQL
 * transaction, one lock in memory) with its guards reading the stored state. The core validates input before calling
 * a store; a store only enforces what needs the stored state (existence, transitions, finished jobs, part ranges).
 *
 * <p>Every write takes its time from {@link #clock()}, truncated to milliseconds. Every write that changes a job emits
 * the matching {@link StoreEvent}s through {@link #subscribe}. The rules of a job live once, in {@link JobRules}: a
 * store reads the job under its lock, applies them and writes what they decided. Store and driver failures are thrown as
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
     * Applies increments, keyed items, a total increase and a status line in one step ({@link JobRules}: a PENDING job
     * starts, an item moves between outcomes, the rate folds, the lease renews). Emits PROGRESS (and STARTED).
     *
     * <p>Asynchronous first: the stage completes with the progress after the call, or exceptionally with
     * {@link io.tally.JobNotFoundException}, {@link io.tally.JobFinishedException} (a finished job),
     * {@link io.tally.InvalidInputException} (a job with parts takes no counts or items) or
     * {@link io.tally.StoreUnavailableException}. A store with an asynchronous client keeps many calls in flight; one
     * without answers before it returns ({@link #answered}).
     */
    CompletableFuture<RecordedProgress> record(String id, ProgressUpdate update);

    /**
     * Records part outcomes in one step, idempotent per part, and claims the settle exactly once ({@link JobRules}):
     * the call that leaves no part without an outcome, with at most {@code toleratedFailures} failed, gets {@code last =
     * true} and the job SUCCEEDS. A FAILURE with {@code failJob} fails the job ({@code part_failed}). On a finished job
     * a call that would change nothing answers {@code changed = 0}; one that would change something fails with
     * {@link io.tally.JobFinishedException}. A part number out of range fails with
     * {@link io.tally.InvalidInputException}, nothing written. Emits PART, SETTLED, FINISHED or FAILED (and STARTED).
     * Asynchronous first, as {@link #record}.
     */
    CompletableFuture<PartsOutcome> recordParts(String id, List<PartUpdate> parts);

    /**
     * Changes a job's lifecycle in one step guarded by the stored state ({@link JobRules}): a move allowed by
     * {@link JobState#canTransition} (asking for the current state is a no-op, {@code changed = false}), a heartbeat
     * that renews the lease, or the sweep's re-checked expiry ({@code changed = false} when not due). An expiry of a
     * retention deletes the job and answers it as it was.
     *
     * @throws io.tally.JobNotFoundException if the job does not exist
     * @throws io.tally.IllegalTransitionException if the table forbids the move
     * @throws io.tally.JobFinishedException on a heartbeat of a finished job
     */
    TransitionResult transition(String id, Transition transition);

    /** Lists jobs newest first, served by an index for every filter. */
    Page<JobRecord> query(JobQuery query);

    /**
     * Counts and sums over a set of jobs. For every job in the store ({@code root} null): the counts by state only,
     * which a store keeps indexed. For a job and all its descendants (the roll-up of {@link io.tally.JobSnapshot}):
     * also the sums of their counters and the rate state of each RUNNING one, added up in the store in one step
     * (a statement per level of the tree, a script) rather than read job by job. Parent links may form a cycle (ids
     * can be chosen, so a deleted parent's id may come back as a child of its former child): each job is counted once.
     *
     * @param root the job whose subtree is counted (itself included), or null for every job
     * @return the stats; those of no job when {@code root} does not exist
     */
    JobStats stats(String root);

    /** @return jobs per state, for every state (0 included): {@code stats(null)}'s counts */
    default Map<JobState, Long> countByState() {
        return stats(null).byState();
    }

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

    /**
     * Waits for an answer of {@link #record} or {@link #recordParts}: the blocking form every caller that is not
     * asynchronous uses. A store may override it to refuse waiting where the answer can never come (on its own I/O
     * thread) or to bound the wait.
     *
     * @return the answer
     * @throws RuntimeException the exception the call failed with, as it was thrown
     */
    default <T> T await(CompletableFuture<T> answer) {
        try {
            return answer.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : e;
        }
    }

    /**
     * The asynchronous form of a store without an asynchronous client: runs {@code write} now and returns its answer
     * as a completed stage, or its exception as a failed one.
     */
    static <T> CompletableFuture<T> answered(Supplier<T> write) {
        try {
            return CompletableFuture.completedFuture(write.get());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
