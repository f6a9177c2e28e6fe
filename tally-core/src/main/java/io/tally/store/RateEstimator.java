package io.tally.store;

import java.time.Instant;

/**
 * The smoothed recent rate behind ETAs: an exponentially weighted moving average over windows of at least
 * {@value #WINDOW_MILLIS} ms, so that a burst of writes within one millisecond never divides by zero and a job that
 * slows down sees its ETA grow within seconds, not only after its whole history is averaged out.
 *
 * <p>State kept per job: {@code rate} (units/s, null until the first window closes), {@code rateAt} (start of the open
 * window; the job's start time at first) and {@code rateAcc} (units recorded in the open window). On each write of
 * {@code n} units at time {@code t}: {@code acc += n}; if {@code t − rateAt ≥ window}, the window closes:
 * {@code inst = acc / (t − rateAt)}, {@code rate = rate == null ? inst : rate + α·(inst − rate)} with
 * {@code α = min(1, (t − rateAt) / τ)}, τ = {@value #TAU_SECONDS} s; then {@code rateAt = t, acc = 0}. A read folds the
 * open window the same way without storing it, so a job that stopped making progress shows a falling rate.
 *
 * <p>Stores apply {@link #fold} inside the same atomic step as the counters (SQL stores as a CASE expression, Redis in
 * Lua); the arithmetic is simple on purpose so that it reads the same in every language.
 */
public final class RateEstimator {
    /** Shortest window folded into the rate. */
    public static final long WINDOW_MILLIS = 1000;
    /** Time constant of the moving average, in seconds. */
    public static final double TAU_SECONDS = 10;

    private RateEstimator() {}

    /**
     * Rate state of one job.
     *
     * @param rate units/s, null before the first window closed
     * @param rateAt start of the open window, null before the job started
     * @param acc units in the open window
     */
    public record State(Double rate, Instant rateAt, long acc) {
        /** The state of a job that started at {@code startedAt}. */
        public static State startedAt(Instant startedAt) {
            return new State(null, startedAt, 0);
        }
    }

    /**
     * Records {@code units} done at {@code now}.
     *
     * @return the new state to store
     */
    public static State fold(State s, long units, Instant now) {
        if (s.rateAt() == null) {
            return new State(s.rate(), now, s.acc() + units);
        }
        long acc = s.acc() + units;
        long dt = now.toEpochMilli() - s.rateAt().toEpochMilli();
        if (dt < WINDOW_MILLIS) {
            return new State(s.rate(), s.rateAt(), acc);
        }
        return new State(blend(s.rate(), acc, dt), now, 0);
    }

    /**
     * Reads the rate at {@code now}, folding the open window without storing it.
     *
     * @return units/s, 0 when not yet known
     */
    public static double read(State s, Instant now) {
        if (s.rateAt() == null) {
            return 0;
        }
        long dt = now.toEpochMilli() - s.rateAt().toEpochMilli();
        if (dt < WINDOW_MILLIS) {
            return s.rate() == null ? 0 : s.rate();
        }
        return blend(s.rate(), s.acc(), dt);
    }

    private static double blend(Double rate, long acc, long dtMillis) {
        double inst = acc * 1000.0 / dtMillis;
        if (rate == null) {
            return inst;
        }
        double alpha = Math.min(1.0, dtMillis / 1000.0 / TAU_SECONDS);
        return rate + alpha * (inst - rate);
    }
}
