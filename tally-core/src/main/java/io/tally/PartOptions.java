package io.tally;

import java.util.List;

/**
 * How {@link Tally#runPart} treats exceptions. By default none fails the job: the exception is rethrown and nothing is
 * recorded, so that external retry logic can run the part again (watchbot's behaviour).
 */
public final class PartOptions {
    private static final PartOptions DEFAULTS = new PartOptions(List.of());
    private final List<Class<? extends Throwable>> failJobOn;

    private PartOptions(List<Class<? extends Throwable>> failJobOn) {
        this.failJobOn = failJobOn;
    }

    /** @return options under which no exception fails the job */
    public static PartOptions defaults() {
        return DEFAULTS;
    }

    /**
     * @param types exception types (and their subclasses) that fail the whole job with reason {@code part_failed}
     * @return the options
     */
    @SafeVarargs
    public static PartOptions failJobOn(Class<? extends Throwable>... types) {
        for (Class<? extends Throwable> t : types) {
            if (t == null) {
                throw new InvalidInputException("failJobOn", "must not contain null");
            }
        }
        return new PartOptions(List.of(types));
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
