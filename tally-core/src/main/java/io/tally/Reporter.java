package io.tally;

import io.tally.store.JobRecord;
import io.tally.store.JobStore;
import io.tally.store.ProgressUpdate;
import io.tally.store.RecordedProgress;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Throttled progress reporting (RedisProgress's {@code tick!}): {@link #tick()} only adds to an in-memory counter —
 * no store call, no clock read, safe from any number of threads — and the buffered counts are written as increments
 * when the {@link ReportPolicy} says so, on {@link #flush()}, and always on {@link #close()}. Because writes are
 * increments, several reporters (threads, processes) on one job add up.
 *
 * <p>A background thread checks the policy a few times per interval. If a background write fails (the store is down),
 * the error is logged and the counts stay buffered for the next write: nothing is lost. {@link #flush()} and
 * {@link #close()} throw instead, with the counts still buffered.
 *
 * <p><b>Cancel.</b> A reporter that has not been in touch with the store for an interval (its policy held writes back,
 * or nothing was ticked) asks for the job's state: a heartbeat if the job has a heartbeat lease (which also keeps the
 * lease while writes are rare), else a read. So within about one interval of a cancel made anywhere, a write's answer
 * or that check tells it, and {@link #cancelled()} turns true: the worker's loop should stop. From then on nothing is
 * written: {@link #flush()} and {@link #close()} drop the buffered counts (said at DEBUG) instead of throwing, since
 * counts for a cancelled job are not an error of the worker.
 *
 * <pre>{@code
 * try (Reporter r = job.reporter(ReportPolicy.every(Duration.ofSeconds(2)))) {
 *     for (Record rec : records) {
 *         if (r.cancelled()) break;
 *         process(rec);
 *         r.tick();
 *     }
 * }
 * }</pre>
 */
public final class Reporter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Reporter.class);
    private static final ScheduledExecutorService CHECKER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tally-reporter");
        t.setDaemon(true);
        return t;
    });

    private final Job job;
    private final JobStore store;
    private final String jobId;
    private final boolean heartbeats;
    private final ReportPolicy policy;
    private final Clock clock;
    private final LongAdder succeeded = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final AtomicReference<String> message = new AtomicReference<>();
    private final ScheduledFuture<?> checker;
    private final List<Reporter> owners;

    // Guarded by "this": what the store held after our last write, and when the store last answered us.
    private long lastWriteMillis;
    private long lastContactMillis;
    private long writtenTotal;
    private long writtenDone;
    private boolean closed;

    Reporter(Job job, JobStore store, JobRecord current, ReportPolicy policy, Clock clock, List<Reporter> owners) {
        this.job = job;
        this.store = store;
        this.jobId = current.id();
        this.heartbeats = current.heartbeat() != null;
        this.policy = policy;
        this.clock = clock;
        this.owners = owners;
        this.lastWriteMillis = clock.millis();
        this.lastContactMillis = lastWriteMillis;
        this.writtenTotal = current.total();
        this.writtenDone = current.succeeded() + current.failed();
        long every = Math.max(10, Math.min(500, policy.interval().toMillis() / 4));
        this.checker = CHECKER.scheduleWithFixedDelay(this::backgroundPoll, every, every, TimeUnit.MILLISECONDS);
        owners.add(this);
    }

    /** Counts one success. Costs an uncontended add; never touches the store. */
    public void tick() {
        succeeded.increment();
    }

    /** Counts {@code n} successes. */
    public void tick(long n) {
        if (n < 0) {
            throw new InvalidInputException("n", "must not be negative, was " + n);
        }
        succeeded.add(n);
    }

    /** Counts one failure. */
    public void tickFailure() {
        failed.increment();
    }

    /** Counts {@code n} failures. */
    public void tickFailure(long n) {
        if (n < 0) {
            throw new InvalidInputException("n", "must not be negative, was " + n);
        }
        failed.add(n);
    }

    /** Sets the status line sent with the next write. */
    public void message(String text) {
        message.set(io.tally.internal.Validation.optionalText("message", text, 4096));
    }

    /**
     * Whether this reporter has learnt that its job was cancelled: from a write's answer, from its check of the job's
     * state after an interval without contact with the store, or from its {@link Job} handle (see
     * {@link Job#cancelled()}). Costs a volatile read; never touches the store.
     */
    public boolean cancelled() {
        return job.cancelSeen();
    }

    /** @return counts ticked but not yet written */
    public long buffered() {
        return succeeded.sum() + failed.sum();
    }

    /**
     * Writes the buffered counts if the policy says it is time (interval passed and percent moved), or, after an
     * interval without contact with the store, checks whether the job was cancelled. The background thread calls this;
     * tests with a controlled clock call it directly.
     *
     * @return true if it wrote
     */
    public synchronized boolean poll() {
        if (closed || cancelled()) {
            return false;
        }
        if (due()) {
            return write();
        }
        if (clock.millis() - lastContactMillis >= policy.interval().toMillis()) {
            checkCancelled();
        }
        return false;
    }

    private void checkCancelled() {
        try {
            JobState state = heartbeats
                    ? job.heartbeat().state()
                    : store.find(jobId)
                            .orElseThrow(() -> new JobNotFoundException(jobId))
                            .state();
            job.noteState(state);
        } catch (JobFinishedException ended) {
            job.noteState(ended.state()); // (heartbeat() noted it too)
        }
        lastContactMillis = clock.millis();
    }

    private boolean due() {
        long pending = succeeded.sum() + failed.sum();
        if (pending == 0 && message.get() == null) {
            return false;
        }
        if (clock.millis() - lastWriteMillis < policy.interval().toMillis()) {
            return false;
        }
        if (writtenTotal <= 0 || policy.percentStep() == 0) {
            return true;
        }
        double before = writtenDone * 100.0 / writtenTotal;
        double after = (writtenDone + pending) * 100.0 / writtenTotal;
        return Math.floor(after / policy.percentStep()) != Math.floor(before / policy.percentStep());
    }

    /**
     * Writes the buffered counts now.
     *
     * @throws TallyException if the write fails; the counts stay buffered
     */
    public synchronized void flush() {
        write();
    }

    private boolean write() {
        if (cancelled()) {
            drop();
            return false;
        }
        long s = succeeded.sumThenReset();
        long f = failed.sumThenReset();
        String m = message.getAndSet(null);
        if (s == 0 && f == 0 && m == null) {
            return false;
        }
        try {
            RecordedProgress r = store.await(store.record(jobId, new ProgressUpdate(s, f, List.of(), 0, m)));
            lastWriteMillis = clock.millis();
            lastContactMillis = lastWriteMillis;
            writtenTotal = r.total();
            writtenDone = r.succeeded() + r.failed();
            return true;
        } catch (RuntimeException e) {
            succeeded.add(s);
            failed.add(f);
            message.compareAndSet(null, m);
            if (e instanceof JobFinishedException ended) {
                job.noteState(ended.state());
                if (cancelled()) {
                    drop();
                    return false;
                }
            }
            throw e;
        }
    }

    // The job was cancelled: what is buffered can never be written, and that is no error of the worker's.
    private void drop() {
        long dropped = succeeded.sumThenReset() + failed.sumThenReset();
        message.set(null);
        if (dropped > 0) {
            log.debug("job {} was cancelled: {} ticks not written", jobId, dropped);
        }
    }

    private void backgroundPoll() {
        try {
            poll();
            if (cancelled()) {
                checker.cancel(false); // nothing more to write or to learn
            }
        } catch (JobFinishedException | JobNotFoundException gone) {
            // The job ended or was deleted elsewhere: its counts can never be written, so stop trying.
            checker.cancel(false);
            log.info("job {} {}; {} ticks not written", jobId, gone.getMessage(), buffered());
        } catch (RuntimeException e) {
            log.warn(
                    "progress of job {} not written, kept for the next write ({} buffered): {}",
                    jobId,
                    buffered(),
                    e.toString());
        }
    }

    /**
     * Writes whatever is buffered and stops the background checks. After a cancel it drops what is buffered instead.
     *
     * @throws TallyException if the final write fails; the counts stay buffered and {@link #flush()} may be retried
     */
    @Override
    public void close() {
        synchronized (this) {
            if (!closed) {
                checker.cancel(false);
                owners.remove(this);
                closed = true;
            }
        }
        flush();
    }
}
