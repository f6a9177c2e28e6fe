package io.tally.opentelemetry;

import io.tally.JobQuery;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.Page;
import io.tally.store.JobRecord;
import io.tally.store.JobStore;
import io.tally.store.LogEntry;
import io.tally.store.NewJob;
import io.tally.store.PartStatus;
import io.tally.store.PartUpdate;
import io.tally.store.PartsOutcome;
import io.tally.store.ProgressUpdate;
import io.tally.store.RecordedProgress;
import io.tally.store.StoreEvent;
import io.tally.store.StoredItem;
import io.tally.store.SweepKind;
import io.tally.store.Transition;
import io.tally.store.TransitionResult;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * The store of a traced {@link io.tally.Tally}: every operation goes to the store underneath as it is, except that a
 * new job's metadata is first given the trace context. Why in {@code create} and not in {@code JobSpec}: the core
 * calls {@code create} on the creating thread, after validating the spec, whoever built the spec (an application, the
 * runner, the server's API).
 */
final class TracingJobStore implements JobStore {
    private final JobStore store;
    private final BiFunction<NewJob, JobStore, String> metadata;

    /** @param metadata the metadata to store for a new job, given the job and the store underneath */
    TracingJobStore(JobStore store, BiFunction<NewJob, JobStore, String> metadata) {
        this.store = store;
        this.metadata = metadata;
    }

    @Override
    public JobRecord create(NewJob job) {
        String traced = metadata.apply(job, store);
        if (traced.equals(job.metadataJson())) {
            return store.create(job);
        }
        return store.create(new NewJob(
                job.id(),
                job.name(),
                job.scope(),
                job.parent(),
                traced,
                job.total(),
                job.start(),
                job.partPayloads(),
                job.toleratedFailures(),
                job.timeout(),
                job.heartbeat(),
                job.retainFor(),
                job.message()));
    }

    @Override
    public Clock clock() {
        return store.clock();
    }

    @Override
    public Optional<JobRecord> find(String id) {
        return store.find(id);
    }

    @Override
    public CompletableFuture<RecordedProgress> record(String id, ProgressUpdate update) {
        return store.record(id, update);
    }

    @Override
    public CompletableFuture<PartsOutcome> recordParts(String id, List<PartUpdate> parts) {
        return store.recordParts(id, parts);
    }

    @Override
    public TransitionResult transition(String id, Transition transition) {
        return store.transition(id, transition);
    }

    @Override
    public Page<JobRecord> query(JobQuery query) {
        return store.query(query);
    }

    @Override
    public Map<JobState, Long> countByState() {
        return store.countByState();
    }

    @Override
    public Page<StoredItem> items(String id, Outcome outcome, String afterKey, int limit) {
        return store.items(id, outcome, afterKey, limit);
    }

    @Override
    public List<Integer> parts(String id, PartStatus status, int after, int limit) {
        return store.parts(id, status, after, limit);
    }

    @Override
    public Optional<String> partPayload(String id, int part) {
        return store.partPayload(id, part);
    }

    @Override
    public void appendLogs(String id, List<LogEntry> entries) {
        store.appendLogs(id, entries);
    }

    @Override
    public List<LogEntry> logs(String id, long afterSeq, int limit) {
        return store.logs(id, afterSeq, limit);
    }

    @Override
    public List<String> sweepCandidates(SweepKind kind, Instant now, int limit) {
        return store.sweepCandidates(kind, now, limit);
    }

    @Override
    public boolean delete(String id) {
        return store.delete(id);
    }

    @Override
    public AutoCloseable subscribe(Consumer<StoreEvent> listener) {
        return store.subscribe(listener);
    }

    @Override
    public void close() {
        store.close();
    }

    @Override
    public <T> T await(CompletableFuture<T> answer) {
        return store.await(answer); // a store may bound or refuse the wait: keep its own
    }
}
