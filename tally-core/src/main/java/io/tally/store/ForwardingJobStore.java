package io.tally.store;

import io.tally.JobQuery;
import io.tally.Outcome;
import io.tally.Page;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A store that passes every call to another one: the base of a decorator (an {@link io.tally.Instrumentation}'s) that
 * overrides only the calls it observes, so the list of operations is written here once and a new one reaches every
 * decorator.
 */
public abstract class ForwardingJobStore implements JobStore {
    /** The store every call goes to. */
    protected final JobStore delegate;

    /** @param delegate the store every call goes to */
    protected ForwardingJobStore(JobStore delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    @Override
    public Clock clock() {
        return delegate.clock();
    }

    @Override
    public JobRecord create(NewJob job) {
        return delegate.create(job);
    }

    @Override
    public Optional<JobRecord> find(String id) {
        return delegate.find(id);
    }

    @Override
    public CompletableFuture<RecordedProgress> record(String id, ProgressUpdate update) {
        return delegate.record(id, update);
    }

    @Override
    public CompletableFuture<PartsOutcome> recordParts(String id, List<PartUpdate> parts) {
        return delegate.recordParts(id, parts);
    }

    @Override
    public TransitionResult transition(String id, Transition transition) {
        return delegate.transition(id, transition);
    }

    @Override
    public Page<JobRecord> query(JobQuery query) {
        return delegate.query(query);
    }

    @Override
    public JobStats stats(String root) {
        return delegate.stats(root);
    }

    @Override
    public Page<StoredItem> items(String id, Outcome outcome, String afterKey, int limit) {
        return delegate.items(id, outcome, afterKey, limit);
    }

    @Override
    public List<Integer> parts(String id, PartStatus status, int after, int limit) {
        return delegate.parts(id, status, after, limit);
    }

    @Override
    public Optional<String> partPayload(String id, int part) {
        return delegate.partPayload(id, part);
    }

    @Override
    public void appendLogs(String id, List<LogEntry> entries) {
        delegate.appendLogs(id, entries);
    }

    @Override
    public List<LogEntry> logs(String id, long afterSeq, int limit) {
        return delegate.logs(id, afterSeq, limit);
    }

    @Override
    public List<String> sweepCandidates(SweepKind kind, Instant now, int limit) {
        return delegate.sweepCandidates(kind, now, limit);
    }

    @Override
    public boolean delete(String id) {
        return delegate.delete(id);
    }

    @Override
    public AutoCloseable subscribe(Consumer<StoreEvent> listener) {
        return delegate.subscribe(listener);
    }

    @Override
    public void close() {
        delegate.close();
    }

    /** The delegate's own wait: its bounds (a time limit; never on its I/O thread) hold through the decorator. */
    @Override
    public <T> T await(CompletableFuture<T> answer) {
        return delegate.await(answer);
    }
}
