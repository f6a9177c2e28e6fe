package io.tally;

import java.time.Duration;
import java.util.Objects;

/**
 * When a {@link Reporter} writes its buffered counts: once at least {@link #interval()} has passed since its last
 * write <em>and</em> the integer percent moved by at least {@link #percentStep()} (RedisProgress's two conditions).
 * Jobs without a known total skip the percent condition. Independently of the policy, {@code flush()} and
 * {@code close()} always write.
 */
public final class ReportPolicy {
    private final Duration interval;
    private final double percentStep;

    private ReportPolicy(Duration interval, double percentStep) {
        this.interval = interval;
        this.percentStep = percentStep;
    }

    /**
     * @param interval the shortest time between two writes (e.g. 2 s), positive
     * @return a policy that also waits for the percent to change by 1
     * @throws NullPointerException if {@code interval} is null
     * @throws IllegalArgumentException if {@code interval} is zero or negative
     */
    public static ReportPolicy every(Duration interval) {
        Objects.requireNonNull(interval, "interval");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive, was " + interval);
        }
        return new ReportPolicy(interval, 1);
    }

    /** @return the default: every 2 seconds, when the percent moved by 1 */
    public static ReportPolicy defaults() {
        return every(Duration.ofSeconds(2));
    }

    /**
     * @param step percent points the progress must move before a write (0: write at every interval if anything
     *     changed)
     * @return a copy with that step
     * @throws IllegalArgumentException if {@code step} is not between 0 and 100 (or is NaN)
     */
    public ReportPolicy percentStep(double step) {
        if (!(step >= 0 && step <= 100)) {
            throw new IllegalArgumentException("percentStep must be between 0 and 100, was " + step);
        }
        return new ReportPolicy(interval, step);
    }

    /** @return the shortest time between two writes */
    public Duration interval() {
        return interval;
    }

    /** @return percent points the progress must move before a write */
    public double percentStep() {
        return percentStep;
    }

    @Override
    public String toString() {
        return "every " + interval + " and " + percentStep + "%";
    }
}
