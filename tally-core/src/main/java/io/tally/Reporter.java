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
 * <pre>{@code
 * try (Reporter r = job.reporter(ReportPolicy.every(Duration.ofSeconds(2)))) {
 *     for (Record rec : records) { process(rec); r.tick(); }
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

    private final JobStore store;
    private final String jobId;
    private final ReportPolicy policy;
    private final Clock clock;
    private final LongAdder succeeded = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final AtomicReference<String> message = new AtomicReference<>();
    private final ScheduledFuture<?> checker;
    private final List<Reporter> owners;

    // Guarded by "this": what the store held after our last write.
    private long lastWriteMillis;
    private long writtenTotal;
    private long writtenDone;
    private boolean closed;

    Reporter(JobStore store, JobRecord current, ReportPolicy policy, Clock clock, List<Reporter> owners) {
        this.store = store;
        this.jobId = current.id();
        this.policy = policy;
        this.clock = clock;
        this.owners = owners;
        this.lastWriteMillis = clock.millis();
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

    /** @return counts ticked but not yet written */
    public long buffered() {
        return succeeded.sum() + failed.sum();
    }

    /**
     * Writes the buffered counts if the policy says it is time (interval passed and percent moved). The background
     * thread calls this; tests with a controlled clock call it directly.
     *
     * @return true if it wrote
     */
    public synchronized boolean poll() {
        if (closed || !due()) {
            return false;
        }
        return write();
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
        long s = succeeded.sumThenReset();
        long f = failed.sumThenReset();
        String m = message.getAndSet(null);
        if (s == 0 && f == 0 && m == null) {
            return false;
        }
        try {
            RecordedProgress r = store.await(store.record(jobId, new ProgressUpdate(s, f, List.of(), 0, m)));
            lastWriteMillis = clock.millis();
            writtenTotal = r.total();
            writtenDone = r.succeeded() + r.failed();
            return true;
        } catch (RuntimeException e) {
            succeeded.add(s);
            failed.add(f);
            message.compareAndSet(null, m);
            throw e;
        }
    }

    private void backgroundPoll() {
        try {
            poll();
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
     * Writes whatever is buffered and stops the background checks.
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
