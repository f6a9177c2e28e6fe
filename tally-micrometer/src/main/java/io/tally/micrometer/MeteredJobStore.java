package io.tally.micrometer;

import io.tally.Outcome;
import io.tally.store.ForwardingJobStore;
import io.tally.store.JobStore;
import io.tally.store.PartUpdate;
import io.tally.store.PartsOutcome;
import io.tally.store.ProgressUpdate;
import io.tally.store.RecordedProgress;
import io.tally.store.SweepKind;
import io.tally.store.Transition;
import io.tally.store.TransitionResult;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
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
final class MeteredJobStore extends ForwardingJobStore {
    private static final Logger log = LoggerFactory.getLogger(MeteredJobStore.class);

    private final WriteCounts counts;
    private final ThreadPoolExecutor finishedReads;

    MeteredJobStore(JobStore store, WriteCounts counts) {
        super(store);
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
        return delegate.record(id, update).whenComplete((answer, failure) -> {
            if (failure == null) {
                counts.recorded(update);
            }
        });
    }

    @Override
    public CompletableFuture<PartsOutcome> recordParts(String id, List<PartUpdate> parts) {
        return delegate.recordParts(id, parts).whenComplete((answer, failure) -> {
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
                    delegate.find(id).ifPresent(counts::finished);
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
        TransitionResult r = delegate.transition(id, transition);
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
    public void close() {
        finishedReads.shutdown();
        delegate.close();
    }
}
