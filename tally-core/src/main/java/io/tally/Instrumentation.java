package io.tally;

import io.tally.store.JobRecord;
import io.tally.store.JobStore;

/**
 * What a metrics or tracing module adds to a {@link Tally}, given to {@link Tally.Builder#instrumentation}. Every
 * method has a default that adds nothing, so a module overrides only what it observes.
 *
 * <p>Why two hooks and not a listener per operation: the store is the one place every write and read passes (the
 * {@link Job} handles, {@link Reporter}s and part calls all end there), so decorating it sees everything with no
 * second list of operations to keep up to date; only the work of a part ({@link Tally#runPart}) runs outside the
 * store, so it has a hook of its own.
 */
public interface Instrumentation {
    /**
     * @param store the store the Tally was built on (or the previous instrumentation's decorator)
     * @return the store every operation of the Tally goes through: {@code store} itself or a decorator of it
     */
    default JobStore decorate(JobStore store) {
        return store;
    }

    /**
     * Runs the work of one part for {@link Tally#runPart}, e.g. inside a span. An implementation calls
     * {@code work.run()} exactly once and returns or throws what it does.
     *
     * @param job the part's job as read just before the work starts
     * @param part the part number
     * @param work the work
     * @return what the work returned
     * @throws E what the work threw
     */
    default <T, E extends Exception> T aroundPart(JobRecord job, int part, PartWork<T, E> work) throws E {
        return work.run();
    }
}
