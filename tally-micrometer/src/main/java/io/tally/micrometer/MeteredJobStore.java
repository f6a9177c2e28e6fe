package io.tally.micrometer;

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
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store a Tally with {@link TallyMetrics} works on: every call goes to the real store, and the writes are counted
 * from its answers, so only what happened counts (a part redelivered changed nothing, a repeated transition is a
 * no-op, a sweep candidate that renewed its lease in time was not expired).
 *
 * <p>The two asynchronous writes are counted when their answer arrives, in a stage chained to the store's, so a caller
 * that waited for the answer sees it counted, and nothing here waits. A settled job's answer does not carry the job,
 * so its duration comes from one read made on a thread of this decorator's own: the answer may arrive on a store's
 * I/O thread (Redis), where a blocking read would wait for its own reply.
 */
final class MeteredJobStore implements JobStore {
    private static final Logger log = LoggerFactory.getLogger(MeteredJobStore.class);

    private final JobStore store;
    private final WriteCounts counts;
    private final ThreadPoolExecutor finishedReads;

    MeteredJobStore(JobStore store, WriteCounts counts) {
        this.store = store;
        this.counts = counts;
        // One thread, ended when idle: a Tally built with closeStore(false) never closes this decorator.
        this.finishedReads = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "tally-metrics");
            t.setDaemon(true);
            return t;
        });
        finishedReads.allowCoreThreadTimeOut(true);
    }

    @Override
    public CompletableFuture<RecordedProgress> record(String id, ProgressUpdate update) {
        return store.record(id, update).whenComplete((answer, failure) -> {
            if (failure == null) {
                counts.recorded(update);
            }
        });
    }

    @Override
    public CompletableFuture<PartsOutcome> recordParts(String id, List<PartUpdate> parts) {
        return store.recordParts(id, parts).whenComplete((answer, failure) -> {
            if (failure == null) {
                counts.parts(parts, answer);
                if (answer.last() || failedTheJob(parts, answer)) {
                    timeFinished(id);
                }
            }
        });
    }

    /**
     * @return true if the call failed its job: it carried a {@code failJob} failure and changed a part, which only
     *     happens on a job that was not finished (a call on a finished one changes nothing)
     */
    private static boolean failedTheJob(List<PartUpdate> parts, PartsOutcome answer) {
        return answer.changed() > 0 && parts.stream().anyMatch(p -> p.failJob() && p.outcome() == Outcome.FAILURE);
    }

    private void timeFinished(String id) {
        try {
            finishedReads.execute(() -> {
                try {
                    store.find(id).ifPresent(counts::finished);
                } catch (RuntimeException e) {
                    log.debug("job {} finished, but was not read for tally.job.duration", id, e);
                }
            });
        } catch (RejectedExecutionException closed) {
            log.debug("job {} finished after the store was closed: not timed", id);
        }
    }

    @Override
    public TransitionResult transition(String id, Transition transition) {
        TransitionResult r = store.transition(id, transition);
        if (!r.changed()) {
            return r;
        }
        if (transition instanceof Transition.Expire e) {
            counts.swept(e.kind());
            if (e.kind() != SweepKind.RETENTION) {
                counts.finished(r.record());
            }
        } else if (transition instanceof Transition.Move m && m.target().isTerminal()) {
            counts.finished(r.record());
        }
        return r;
    }

    @Override
    public <T> T await(CompletableFuture<T> answer) {
        return store.await(answer); // the store's own bounds (Redis: a time limit, not on its I/O thread)
    }

    @Override
    public void close() {
        finishedReads.shutdown();
        store.close();
    }

    // Reads and the other writes: passed through uncounted.

    @Override
    public Clock clock() {
        return store.clock();
    }

    @Override
    public JobRecord create(NewJob job) {
        return store.create(job);
    }

    @Override
    public Optional<JobRecord> find(String id) {
        return store.find(id);
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
}
