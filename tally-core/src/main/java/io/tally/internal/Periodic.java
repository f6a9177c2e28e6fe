package io.tally.internal;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;

/**
 * A task run on its own daemon thread every interval, the first run one interval after the start, until closed. A run
 * that throws is logged as a warning and the next one retries: a store outage must not end the schedule.
 */
public final class Periodic implements AutoCloseable {
    private final ScheduledExecutorService timer;

    private Periodic(String threadName, Duration every, Runnable task, Logger log, String what) {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        long ms = every.toMillis();
        timer.scheduleWithFixedDelay(
                () -> {
                    try {
                        task.run();
                    } catch (RuntimeException e) {
                        log.warn("{} failed, retried in {}: {}", what, every, e.toString());
                    }
                },
                ms,
                ms,
                TimeUnit.MILLISECONDS);
    }

    /**
     * @param threadName the thread's name
     * @param what what the task does, for the warning when a run fails
     * @return the running schedule
     */
    public static Periodic start(String threadName, Duration every, Runnable task, Logger log, String what) {
        return new Periodic(threadName, every, task, log, what);
    }

    /** Stops the schedule; a run under way is interrupted. */
    @Override
    public void close() {
        timer.shutdownNow();
    }
}
