package io.tally;

import io.tally.internal.Json;
import io.tally.internal.Validation;
import io.tally.store.ItemUpdate;
import io.tally.store.JobRecord;
import io.tally.store.JobStore;
import io.tally.store.LogEntry;
import io.tally.store.ProgressUpdate;
import io.tally.store.RecordedProgress;
import io.tally.store.StoredItem;
import io.tally.store.Transition;
import io.tally.store.TransitionResult;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A handle on one job. It holds only the id: every read goes to the store, every write is one atomic store operation,
 * so handles are cheap, thread-safe, and any number of them (in any number of processes) may act on one job.
 */
public final class Job {
    private final Tally tally;
    private final String id;
    private final List<Reporter> reporters = new CopyOnWriteArrayList<>();
    // Set once this handle, its reporters or its heartbeats learn the job was cancelled: a cancelled job stays so.
    private volatile boolean cancelSeen;

    Job(Tally tally, String id) {
        this.tally = tally;
        this.id = id;
    }

    /** @return the job id */
    public String id() {
        return id;
    }

    /** Records one anonymous success. @return the progress after it */
    public Progress recordSuccess() {
        return record(ProgressUpdate.counts(1, 0));
    }

    /**
     * Records a keyed success. Idempotent: recording the same item again counts once; an item that failed before moves
     * to succeeded.
     *
     * @return the progress after it
     */
    public Progress recordSuccess(String item) {
        return record(ProgressUpdate.item(new ItemUpdate(key(item), Outcome.SUCCESS, null)));
    }

    /** Records one anonymous failure. @return the progress after it */
    public Progress recordFailure() {
        return record(ProgressUpdate.counts(0, 1));
    }

    /** Records a keyed failure (idempotent by key). @return the progress after it */
    public Progress recordFailure(String item) {
        return recordFailure(item, null);
    }

    /** Records a keyed failure with a reason (idempotent by key). @return the progress after it */
    public Progress recordFailure(String item, String reason) {
        return record(ProgressUpdate.item(new ItemUpdate(
                key(item), Outcome.FAILURE, Validation.optionalText("reason", reason, Validation.MAX_NAME))));
    }

    /** JobProgress's helper: {@code ok ? recordSuccess(item) : recordFailure(item)}. @return the progress after it */
    public Progress track(boolean ok, String item) {
        return ok ? recordSuccess(item) : recordFailure(item);
    }

    /**
     * Records counts, items, a total increase and a status line in one atomic step.
     *
     * @return the progress after it
     * @throws InvalidInputException for a negative count or one past 2^53 − 1 (naming it), or when a counter would
     *     pass 2^53 − 1 ({@link io.tally.internal.Validation#MAX_COUNT}; naming {@code succeeded}, {@code failed} or
     *     {@code total}); nothing of the update is written then
     */
    public Progress record(ProgressUpdate update) {
        return tally.progressOf(recorded(update));
    }

    /**
     * {@link #record} answering with the whole job as it is right after the update, as the HTTP API's progress
     * request does: taken from the store's answer where the store had the job in hand to apply the update (SQL,
     * memory, DynamoDB), read after the write where it answers with the progress alone (Redis).
     *
     * @throws InvalidInputException as {@link #record} does
     */
    public JobSnapshot recordAndSnapshot(ProgressUpdate update) {
        RecordedProgress r = recorded(update);
        return r.job() != null ? tally.snapshotOf(r.job()) : snapshot();
    }

    private RecordedProgress recorded(ProgressUpdate update) {
        JobStore store = tally.storeSpi();
        try {
            return store.await(store.record(id, update.checked()));
        } catch (JobFinishedException e) {
            noteState(e.state());
            throw e;
        }
    }

    /**
     * {@link #record} without blocking: for a worker that keeps many records in flight from few threads. The future
     * completes with the progress {@link #record} would have returned, or exceptionally with what it would have thrown
     * ({@link JobNotFoundException}, {@link JobFinishedException}, {@link InvalidInputException} for a job with parts,
     * {@link StoreUnavailableException}). Input that is wrong on its face (a blank item key, a negative count) throws at
     * once and sends nothing.
     *
     * <p>On the Redis store the calls go out on the store's one connection and those that queue up while others are on
     * the wire are combined into one script call; the future then completes on the connection's I/O thread, so don't
     * block in a callback chained to it (chain with an {@code ...Async} method and your own executor instead): a
     * blocking Tally call made there would wait for its own reply, and is refused with {@link IllegalStateException}.
     * Stores without an asynchronous client answer before this returns.
     */
    public CompletableFuture<Progress> recordAsync(ProgressUpdate update) {
        return tally.storeSpi().record(id, update.checked()).thenApply(tally::progressOf);
    }

    /** {@link #recordSuccess()} without blocking; see {@link #recordAsync}. */
    public CompletableFuture<Progress> recordSuccessAsync() {
        return recordAsync(ProgressUpdate.counts(1, 0));
    }

    /** {@link #recordSuccess(String)} without blocking; see {@link #recordAsync}. */
    public CompletableFuture<Progress> recordSuccessAsync(String item) {
        return recordAsync(ProgressUpdate.item(new ItemUpdate(key(item), Outcome.SUCCESS, null)));
    }

    /** {@link #recordFailure(String, String)} without blocking; see {@link #recordAsync}. @param reason or null */
    public CompletableFuture<Progress> recordFailureAsync(String item, String reason) {
        return recordAsync(ProgressUpdate.item(new ItemUpdate(
                key(item), Outcome.FAILURE, Validation.optionalText("reason", reason, Validation.MAX_NAME))));
    }

    /**
     * Adds to the total (which may grow while the job runs).
     *
     * @param n how much to add, 1 to 2^53 − 1
     * @return the progress after it
     * @throws InvalidInputException ({@code n}) if {@code n} is out of range, ({@code total}) if the total would pass
     *     2^53 − 1 ({@link io.tally.internal.Validation#MAX_COUNT}); nothing is written then
     */
    public Progress addTotal(long n) {
        if (n <= 0) {
            throw new InvalidInputException("n", "must be positive, was " + n);
        }
        Validation.count("n", n);
        return record(new ProgressUpdate(0, 0, List.of(), n, null));
    }

    /** Sets the status line. @return the progress after it */
    public Progress message(String message) {
        Validation.text("message", message, Validation.MAX_MESSAGE);
        return record(new ProgressUpdate(0, 0, List.of(), 0, message));
    }

    /** @return the progress, read fresh from the store */
    public Progress progress() {
        return snapshot().progress();
    }

    /** @return the job, read fresh from the store */
    public JobSnapshot snapshot() {
        return tally.snapshotOf(tally.storeSpi().find(id).orElseThrow(() -> new JobNotFoundException(id)));
    }

    /** @return the detailed progress: item keys by outcome, read from the store page by page */
    public Map<Outcome, Set<String>> items() {
        Map<Outcome, Set<String>> out = new EnumMap<>(Outcome.class);
        for (Outcome o : Outcome.values()) {
            out.put(o, new LinkedHashSet<>());
        }
        String after = null;
        while (true) {
            Page<StoredItem> page = tally.storeSpi().items(id, null, after, 1000);
            for (StoredItem i : page.items()) {
                out.get(i.outcome()).add(i.key());
            }
            if (page.next().isEmpty()) {
                return out;
            }
            after = page.next().get();
        }
    }

    /** @return items with their outcomes and reasons, one page at a time by key */
    public Page<StoredItem> items(Outcome outcome, String afterKey, int limit) {
        return tally.storeSpi().items(id, outcome, afterKey, limit);
    }

    /**
     * Starts a PENDING job for this caller alone: of any number of callers claiming one job at once, exactly one gets
     * the job (the store's guarded {@code PENDING → RUNNING}); the others get empty. A worker that takes dispatched
     * jobs claims each before it runs it.
     *
     * @return the job after the claim, or empty if another caller started it first
     * @throws IllegalTransitionException if the job already finished
     */
    public Optional<JobSnapshot> claim() {
        TransitionResult r = tally.storeSpi().transition(id, Transition.start());
        return r.changed() ? Optional.of(tally.snapshotOf(r.record())) : Optional.empty();
    }

    /** Moves the job to RUNNING (a no-op if it already runs). @return the job after it */
    public JobSnapshot start() {
        return transition(Transition.start());
    }

    /** Finishes the job as SUCCEEDED without a result. @return the job after it */
    public JobSnapshot finish() {
        return finish(null);
    }

    /**
     * Finishes the job as SUCCEEDED with a result (any Jackson-serializable value, stored as JSON). Open reporters of
     * this handle are flushed first.
     *
     * @return the job after it
     */
    public JobSnapshot finish(Object result) {
        String json = result == null ? null : Json.checkSize("result", Json.write(result, "result"));
        return transition(Transition.move(JobState.SUCCEEDED, json, null));
    }

    /** Fails the job with a message (reason {@code error}). @return the job after it */
    public JobSnapshot fail(String error) {
        return transition(Transition.move(
                JobState.FAILED,
                null,
                JobError.of(Validation.text("error", error, Validation.MAX_MESSAGE), FailureReason.ERROR)));
    }

    /** Fails the job with an exception: type, message and stack text are stored. @return the job after it */
    public JobSnapshot fail(Throwable e) {
        if (e == null) {
            throw new InvalidInputException("error", "must not be null");
        }
        return transition(Transition.move(JobState.FAILED, null, JobError.of(e)));
    }

    /** Cancels the job (reason {@code cancelled}). @return the job after it */
    public JobSnapshot cancel(String reason) {
        String why = reason == null ? "cancelled" : Validation.optionalText("reason", reason, Validation.MAX_MESSAGE);
        return transition(Transition.move(JobState.CANCELLED, null, JobError.of(why, FailureReason.CANCELLED)));
    }

    /** Ends the job as SKIPPED (it was not needed). @return the job after it */
    public JobSnapshot skip() {
        return transition(Transition.move(JobState.SKIPPED, null, null));
    }

    /**
     * Renews the heartbeat lease. A worker that heartbeats learns this way that its job was cancelled: see
     * {@link #cancelled()}.
     *
     * @return the job after it
     * @throws JobFinishedException if the job ended (its {@link JobFinishedException#state()} says how)
     */
    public JobSnapshot heartbeat() {
        try {
            return tally.snapshotOf(
                    tally.storeSpi().transition(id, Transition.heartbeat()).record());
        } catch (JobFinishedException e) {
            noteState(e.state());
            throw e;
        }
    }

    /**
     * Whether the job was cancelled, for a worker that should stop: one read of the job's state, or none once this
     * handle has learnt of the cancel (from a read, a {@link #record} or {@link #heartbeat()} refused as CANCELLED, or
     * one of its reporters: see {@link Reporter#cancelled()}), since a cancelled job stays cancelled.
     *
     * @throws JobNotFoundException if the job does not exist (it was deleted)
     */
    public boolean cancelled() {
        if (!cancelSeen) {
            noteState(tally.storeSpi()
                    .find(id)
                    .orElseThrow(() -> new JobNotFoundException(id))
                    .state());
        }
        return cancelSeen;
    }

    /** @return whether this handle has learnt that the job was cancelled, without asking the store */
    boolean cancelSeen() {
        return cancelSeen;
    }

    /** Takes note of the job's state as a store call answered it. */
    void noteState(JobState state) {
        if (state == JobState.CANCELLED) {
            cancelSeen = true;
        }
    }

    /** @return a throttled reporter with the default policy (every 2 s, on a 1 % change) */
    public Reporter reporter() {
        return reporter(ReportPolicy.defaults());
    }

    /** @return a throttled reporter on this job; close it (try-with-resources) to write what it buffered */
    public Reporter reporter(ReportPolicy policy) {
        if (policy == null) {
            throw new InvalidInputException("policy", "must not be null");
        }
        JobRecord r = tally.storeSpi().find(id).orElseThrow(() -> new JobNotFoundException(id));
        if (r.state().isTerminal()) {
            throw new JobFinishedException(id, r.state());
        }
        return new Reporter(this, tally.storeSpi(), r, policy, tally.clock(), reporters);
    }

    /** Appends a line to the job's log. */
    public void log(String level, String message) {
        tally.storeSpi()
                .appendLogs(
                        id,
                        List.of(new LogEntry(
                                0,
                                tally.clock().instant(),
                                Validation.text("level", level, 16),
                                null,
                                Validation.optionalText("message", message, Validation.MAX_JSON_BYTES))));
    }

    /**
     * Appends log records to the job's log in one step; the store numbers them ({@link LogEntry#seq} is ignored). For
     * a writer that batches its own log lines, as the runner's build log does.
     */
    public void log(List<LogEntry> entries) {
        if (entries == null) {
            throw new InvalidInputException("entries", "must not be null");
        }
        tally.storeSpi().appendLogs(id, List.copyOf(entries));
    }

    /** @return the job's log records after {@code afterSeq}, oldest first */
    public List<LogEntry> logs(long afterSeq, int limit) {
        return tally.storeSpi().logs(id, afterSeq, limit);
    }

    private JobSnapshot transition(Transition.Move t) {
        if (t.target().isTerminal()) {
            for (Reporter r : reporters) {
                try {
                    r.flush(); // counts ticked before the job ends belong to it
                } catch (JobFinishedException alreadyEnded) {
                    // The transition below reports the job's real state; the reporter keeps its counts.
                }
            }
        }
        return tally.snapshotOf(tally.storeSpi().transition(id, t).record());
    }

    private static String key(String item) {
        return Validation.text("item", item, Validation.MAX_NAME);
    }

    @Override
    public String toString() {
        return "Job{" + id + "}";
    }
}
