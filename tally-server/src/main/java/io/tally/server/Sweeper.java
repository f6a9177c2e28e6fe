package io.tally.server;

import io.tally.SweepResult;
import io.tally.Tally;
import io.tally.internal.Periodic;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link Tally#sweep()} on a timer (timeouts, stalled heartbeats, expired retention) and on request ({@code POST
 * /api/sweep}). What it swept is counted by the Tally's {@code TallyMetrics} ({@code tally.sweeps}), when it has one.
 */
final class Sweeper implements AutoCloseable {
    // Logs under the server's name, as before the split, so existing logging configuration still applies.
    private static final Logger log = LoggerFactory.getLogger(TallyServer.class);

    private final Tally tally;
    private Periodic timer;

    Sweeper(Tally tally) {
        this.tally = tally;
    }

    /** Sweeps now; the store's exceptions go to the caller. */
    SweepResult sweep() {
        return tally.sweep();
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
