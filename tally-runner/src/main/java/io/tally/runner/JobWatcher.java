package io.tally.runner;

import io.tally.Job;
import io.tally.JobFinishedException;
import io.tally.JobState;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches a running job of the runner's (a build, a reduce job) in real time: renews its heartbeat lease every third
 * of the lease, so that a job whose process died is failed as {@code stalled} by the first sweep after the lease
 * lapsed; and, for a build, looks for a cancel of its job between beats (one read of its state), so that the build
 * hears it within one check interval (see {@link BuildCancel}).
 */
final class JobWatcher {
    // Logs under the runner's name, as before the split, so existing logging configuration still applies.
    private static final Logger log = LoggerFactory.getLogger(Runner.class);

    private final ScheduledExecutorService timer;
    private final long checkMillis;

    /**
     * @param timer the runner's scheduler (shared with the log flusher; the checks are short store calls)
     * @param check how often a build looks for a cancel
     */
    JobWatcher(ScheduledExecutorService timer, Duration check) {
        this.timer = timer;
        this.checkMillis = check.toMillis();
    }

    /**
     * @param lease the job's heartbeat lease, or null (heartbeats off)
     * @param cancel told when the job is found cancelled, or null to look only for the lease
     * @return the watch to cancel when the job ends, or null when there is nothing to watch
     */
    ScheduledFuture<?> start(Job job, Duration lease, BuildCancel cancel) {
        if (lease == null && cancel == null) {
            return null;
        }
        long beatEvery = lease == null ? Long.MAX_VALUE : Math.max(10, lease.toMillis() / 3);
        long every = cancel == null ? beatEvery : Math.min(beatEvery, checkMillis);
        long[] sinceBeat = {0};
        return timer.scheduleWithFixedDelay(
                () -> {
                    sinceBeat[0] += every; // (only this task touches it, one run at a time)
                    try {
                        if (sinceBeat[0] >= beatEvery) {
                            sinceBeat[0] = 0;
                            job.heartbeat();
                        } else if (cancel != null && job.cancelled()) {
                            cancel.cancel();
                        }
                    } catch (JobFinishedException ended) {
                        if (cancel != null && ended.state() == JobState.CANCELLED) {
                            cancel.cancel();
                        }
                    } catch (RuntimeException e) {
                        // Deleted, or the store is briefly down: the next check retries.
                        log.debug("watching job {} failed: {}", job.id(), e.toString());
                    }
                },
                every,
                every,
                TimeUnit.MILLISECONDS);
    }
}
