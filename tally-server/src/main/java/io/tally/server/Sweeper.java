package io.tally.server;

import io.tally.SweepResult;
import io.tally.Tally;
import io.tally.internal.Periodic;
import java.time.Duration;
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
    private Periodic timer;

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
        timer = Periodic.start("tally-sweeper", interval, this::sweep, log, "sweep");
    }

    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.close();
        }
    }
}
