package io.tally.server;

import io.tally.SweepResult;
import io.tally.Tally;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link Tally#sweep()} on a timer (timeouts, stalled heartbeats, expired retention) and on request ({@code POST
 * /api/sweep}), counting what each run swept in {@link ServerMetrics}.
 */
final class Sweeper implements AutoCloseable {
    // Logs under the server's name, as before the split, so existing logging configuration still applies.
    private static final Logger log = LoggerFactory.getLogger(TallyServer.class);

    private final Tally tally;
    private final ServerMetrics metrics;
    private ScheduledExecutorService timer;

    Sweeper(Tally tally, ServerMetrics metrics) {
        this.tally = tally;
        this.metrics = metrics;
    }

    /** Sweeps now; the store's exceptions go to the caller. */
    SweepResult sweep() {
        SweepResult r = tally.sweep();
        metrics.countSwept(r);
        return r;
    }

    /** Sweeps every {@code interval} (first after one interval) on a daemon thread, until {@link #close}. */
    synchronized void startEvery(Duration interval) {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tally-sweeper");
            t.setDaemon(true);
            return t;
        });
        long ms = interval.toMillis();
        timer.scheduleWithFixedDelay(this::sweepQuietly, ms, ms, TimeUnit.MILLISECONDS);
    }

    private void sweepQuietly() {
        try {
            sweep();
        } catch (RuntimeException e) {
            // The next run retries; a store outage must not kill the sweeper thread.
            log.warn("sweep failed: {}", e.toString());
        }
    }

    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
