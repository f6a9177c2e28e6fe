package io.tally.runner;

import io.tally.Job;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews a running job's heartbeat lease (builds and reduce jobs) every third of the lease, in real time, so that a
 * job whose process died is failed as {@code stalled} by the first sweep after its lease lapsed.
 */
final class HeartbeatRenewer {
    // Logs under the runner's name, as before the split, so existing logging configuration still applies.
    private static final Logger log = LoggerFactory.getLogger(Runner.class);

    private final ScheduledExecutorService timer;

    /** @param timer the runner's scheduler (shared with the log flusher; renewals are short store calls) */
    HeartbeatRenewer(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    /** @return the renewal to cancel when the job ends, or null when {@code lease} is null (heartbeats off) */
    ScheduledFuture<?> start(Job job, Duration lease) {
        if (lease == null) {
            return null;
        }
        long every = Math.max(10, lease.toMillis() / 3);
        return timer.scheduleWithFixedDelay(
                () -> {
                    try {
                        job.heartbeat();
                    } catch (RuntimeException e) {
                        // Ended elsewhere (swept, cancelled) or the store is briefly down: the next beat retries.
                        log.debug("heartbeat of build {} failed: {}", job.id(), e.toString());
                    }
                },
                every,
                every,
                TimeUnit.MILLISECONDS);
    }
}
