package io.tally;

/**
 * The work of one part, for {@link Tally#runPart}.
 *
 * @param <T> the result type
 * @param <E> the checked exception it may throw
 */
@FunctionalInterface
public interface PartWork<T, E extends Exception> {
    /** @return the part's result */
    T run() throws E;
}
