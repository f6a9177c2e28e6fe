package io.tally;

/**
 * The work of one part, for {@link Tally#runPart}, or of a whole job, for {@link Tally#runWork}.
 *
 * @param <T> the result type
 * @param <E> the checked exception it may throw
 */
@FunctionalInterface
public interface PartWork<T, E extends Exception> {
    /** @return the part's result */
    T run() throws E;
}
