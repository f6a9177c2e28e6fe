package io.tally.runner;

import io.tally.PartOptions;
import java.util.List;
import java.util.Objects;

/**
 * How a map-reduce job treats failing parts. Immutable: each setter returns a copy.
 *
 * <table>
 * <caption>Settings</caption>
 * <tr><th>setting</th><th>default</th><th>meaning</th></tr>
 * <tr><td>{@code failJobOn}</td><td>none</td><td>exception types (and subclasses) that fail the whole job at once
 * (reason {@code part_failed}); later parts are skipped</td></tr>
 * <tr><td>{@code maxAttempts}</td><td>3</td><td>deliveries of a part whose function throws anything else; after the
 * last one the part is recorded as failed</td></tr>
 * <tr><td>{@code toleratedFailures}</td><td>0</td><td>failed parts that still let the job settle and run the reduce;
 * one more fails the job</td></tr>
 * </table>
 */
public final class MapReduceOptions {
    private static final MapReduceOptions DEFAULTS = new MapReduceOptions(List.of(), 0, 3);

    private final List<Class<? extends Throwable>> failJobOn;
    private final int toleratedFailures;
    private final int maxAttempts;

    private MapReduceOptions(List<Class<? extends Throwable>> failJobOn, int toleratedFailures, int maxAttempts) {
        this.failJobOn = failJobOn;
        this.toleratedFailures = toleratedFailures;
        this.maxAttempts = maxAttempts;
    }

    /** @return the defaults in the table above */
    public static MapReduceOptions defaults() {
        return DEFAULTS;
    }

    /**
     * @return options under which these exception types fail the whole job
     * @throws NullPointerException if {@code types} is or contains null
     */
    @SafeVarargs
    public static MapReduceOptions failJobOn(Class<? extends Throwable>... types) {
        Objects.requireNonNull(types, "failJobOn");
        for (int i = 0; i < types.length; i++) {
            Objects.requireNonNull(types[i], "failJobOn[" + i + "]");
        }
        return new MapReduceOptions(List.of(types), 0, DEFAULTS.maxAttempts);
    }

    /**
     * @param n failed parts tolerated (≥ 0)
     * @throws IllegalArgumentException if {@code n} is negative
     */
    public MapReduceOptions toleratedFailures(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("toleratedFailures must not be negative, was " + n);
        }
        return new MapReduceOptions(failJobOn, n, maxAttempts);
    }

    /**
     * @param n deliveries of a failing part before it is recorded as failed (≥ 1)
     * @throws IllegalArgumentException if {@code n} is less than 1
     */
    public MapReduceOptions maxAttempts(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, was " + n);
        }
        return new MapReduceOptions(failJobOn, toleratedFailures, n);
    }

    /** @return the failed parts tolerated */
    public int toleratedFailures() {
        return toleratedFailures;
    }

    /** @return deliveries of a failing part before it is recorded as failed */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** @return the exception types that fail the job */
    public List<Class<? extends Throwable>> failJobOn() {
        return failJobOn;
    }

    /** @return true if {@code e} fails the whole job */
    public boolean failsJob(Throwable e) {
        return failJobOn.stream().anyMatch(t -> t.isInstance(e));
    }

    @SuppressWarnings("unchecked")
    PartOptions partOptions(Runnable whenLast) {
        return PartOptions.failJobOn(failJobOn.toArray(new Class[0])).whenLast(whenLast);
    }
}
