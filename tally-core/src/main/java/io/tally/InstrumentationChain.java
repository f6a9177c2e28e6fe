package io.tally;

import io.tally.store.JobRecord;
import io.tally.store.JobStore;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The {@link Instrumentation}s of one {@link Tally}, applied together: the first added is the outermost at every hook
 * (its decorator sees a call first, its {@code aroundPart} wraps the others').
 */
final class InstrumentationChain {
    private final List<Instrumentation> chain;

    InstrumentationChain(List<Instrumentation> instrumentation) {
        this.chain = List.copyOf(instrumentation);
    }

    /** @return {@code store} decorated by every instrumentation, the first added outermost */
    JobStore decorate(JobStore store) {
        for (int i = chain.size() - 1; i >= 0; i--) {
            store = Objects.requireNonNull(chain.get(i).decorate(store), "decorate() returned null");
        }
        return store;
    }

    /** Runs a part's work inside every instrumentation's {@link Instrumentation#aroundPart}. */
    <T, E extends Exception> T aroundPart(JobRecord job, int part, PartWork<T, E> work) throws E {
        return aroundPart(job, part, work, 0);
    }

    private <T, E extends Exception> T aroundPart(JobRecord job, int part, PartWork<T, E> work, int from) throws E {
        if (from == chain.size()) {
            return work.run();
        }
        return chain.get(from).aroundPart(job, part, () -> aroundPart(job, part, work, from + 1));
    }

    /** Runs a job's work inside every instrumentation's {@link Instrumentation#aroundWork}. */
    <T, E extends Exception> T aroundWork(JobRecord job, PartWork<T, E> work) throws E {
        return aroundWork(job, work, 0);
    }

    private <T, E extends Exception> T aroundWork(JobRecord job, PartWork<T, E> work, int from) throws E {
        if (from == chain.size()) {
            return work.run();
        }
        return chain.get(from).aroundWork(job, () -> aroundWork(job, work, from + 1));
    }

    /** @return {@code task} wrapped by every instrumentation's {@link Instrumentation#carry} */
    <T> Supplier<T> carry(Supplier<T> task) {
        Supplier<T> wrapped = task;
        for (int i = chain.size() - 1; i >= 0; i--) {
            wrapped = Objects.requireNonNull(chain.get(i).carry(wrapped), "carry() returned null");
        }
        return wrapped;
    }
}
