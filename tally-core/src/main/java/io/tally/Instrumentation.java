package io.tally;

import io.tally.store.JobRecord;
import io.tally.store.JobStore;
import java.util.function.Supplier;

/**
 * What a metrics or tracing module adds to a {@link Tally}, given to {@link Tally.Builder#instrumentation}. Every
 * method has a default that adds nothing, so a module overrides only what it observes.
 *
 * <p>Why these hooks and not a listener per operation: the store is the one place every write and read passes (the
 * {@link Job} handles, {@link Reporter}s and part calls all end there), so decorating it sees everything with no
 * second list of operations to keep up to date. Only work runs outside the store, so it has hooks of its own: the
 * work of a part ({@link Tally#runPart}), the work of a whole job such as a runner's build ({@link Tally#runWork}),
 * and a task handed to another thread ({@link Tally#carry}), so that a job created there still sees what the
 * requesting thread carried (a trace context, say).
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

    /**
     * Runs work done for a whole job outside {@link Tally#runPart}, for {@link Tally#runWork}: the function of a
     * runner's build, say, or a map-reduce's reduce. An implementation calls {@code work.run()} exactly once and
     * returns or throws what it does.
     *
     * <p>A hook of its own rather than {@link #aroundPart} with a made-up part number: a build has no parts, and a
     * metrics or tracing module should be able to tell the two apart.
     *
     * @param job the job as read just before the work starts
     * @param work the work
     * @return what the work returned
     * @throws E what the work threw
     */
    default <T, E extends Exception> T aroundWork(JobRecord job, PartWork<T, E> work) throws E {
        return work.run();
    }

    /**
     * Wraps a task made on the calling thread that will run later on another one, for {@link Tally#carry}. A tracing
     * module returns a task that runs with the calling thread's context current.
     *
     * <p>Why: the decorated store sees the thread each call runs on. A runner creates a build's job on its executor
     * once the build's dependencies have ended, not on the thread that asked for the build; without this hook the
     * job would not know which request it belongs to.
     *
     * @param task the task
     * @return {@code task} itself or a wrapper that calls it once per call of its own
     */
    default <T> Supplier<T> carry(Supplier<T> task) {
        return task;
    }
}
