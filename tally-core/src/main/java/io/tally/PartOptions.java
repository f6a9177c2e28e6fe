package io.tally;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * How {@link Tally#runPart} treats exceptions and redeliveries. By default no exception fails the job: the exception is
 * rethrown and nothing is recorded, so that external retry logic can run the part again (watchbot's behaviour). A part
 * that already succeeded (a message delivered twice) is not run again, unless {@link #rerunCompleted()} says so.
 */
public final class PartOptions {
    private static final PartOptions DEFAULTS = new PartOptions(List.of(), null, false);
    private final List<Class<? extends Throwable>> failJobOn;
    private final Runnable whenLast;
    private final boolean rerunCompleted;

    private PartOptions(List<Class<? extends Throwable>> failJobOn, Runnable whenLast, boolean rerunCompleted) {
        this.failJobOn = failJobOn;
        this.whenLast = whenLast;
        this.rerunCompleted = rerunCompleted;
    }

    /** @return options under which no exception fails the job */
    public static PartOptions defaults() {
        return DEFAULTS;
    }

    /**
     * @param types exception types (and their subclasses) that fail the whole job with reason {@code part_failed}
     * @return the options
     * @throws NullPointerException if {@code types} is or contains null
     */
    @SafeVarargs
    public static PartOptions failJobOn(Class<? extends Throwable>... types) {
        return failJobOn(Arrays.asList(Objects.requireNonNull(types, "failJobOn")));
    }

    /**
     * @param types exception types (and their subclasses) that fail the whole job with reason {@code part_failed}
     * @return the options
     * @throws NullPointerException if {@code types} is or contains null
     */
    public static PartOptions failJobOn(List<Class<? extends Throwable>> types) {
        Objects.requireNonNull(types, "failJobOn");
        for (int i = 0; i < types.size(); i++) {
            Objects.requireNonNull(types.get(i), "failJobOn[" + i + "]");
        }
        return new PartOptions(List.copyOf(types), null, false);
    }

    /**
     * @param reduce runs on the caller's thread right after the part completion that settled the job — exactly once
     *     per job, whatever the redeliveries (watchbot's "send the reduce message")
     * @return a copy with that action
     * @throws NullPointerException if {@code reduce} is null
     */
    public PartOptions whenLast(Runnable reduce) {
        return new PartOptions(failJobOn, Objects.requireNonNull(reduce, "whenLast"), rerunCompleted);
    }

    /**
     * @return a copy under which a part that already succeeded runs its work again when delivered again (watchbot's
     *     behaviour; the completion that follows changes nothing). For work whose side effects must be redone.
     */
    public PartOptions rerunCompleted() {
        return new PartOptions(failJobOn, whenLast, true);
    }

    /** @return whether a part that already succeeded runs again */
    boolean rerunsCompleted() {
        return rerunCompleted;
    }

    /** Runs the {@link #whenLast} action, if any. */
    void settled() {
        if (whenLast != null) {
            whenLast.run();
        }
    }

    /** @return true if {@code e} fails the job */
    public boolean failsJob(Throwable e) {
        for (Class<? extends Throwable> t : failJobOn) {
            if (t.isInstance(e)) {
                return true;
            }
        }
        return false;
    }
}
