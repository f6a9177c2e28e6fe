package io.tally.cli;

import io.tally.IllegalTransitionException;
import io.tally.InvalidInputException;
import io.tally.JobExistsException;
import io.tally.JobFinishedException;
import io.tally.JobNotFoundException;
import io.tally.StoreUnavailableException;
import picocli.CommandLine;

/** How an exception thrown by a command becomes an exit code and the one line printed on stderr. */
final class Errors {
    private Errors() {}

    /** @return the exit code documented in {@code tally --help} for {@code e} */
    static int exitCode(Throwable e) {
        if (e instanceof JobNotFoundException || e instanceof NotFoundException) {
            return TallyCli.NOT_FOUND;
        }
        if (e instanceof StoreUnavailableException) {
            return TallyCli.UNAVAILABLE;
        }
        if (e instanceof InvalidInputException || e instanceof CommandLine.ParameterException) {
            return TallyCli.USAGE;
        }
        return TallyCli.JOB_FAILED;
    }

    /**
     * @return the message alone for the exceptions that are written for users; other exceptions are bugs or surprises,
     *     so their class name is kept to say what went wrong
     */
    static String message(Throwable e) {
        String m = e.getMessage();
        if (e instanceof IllegalTransitionException
                || e instanceof JobFinishedException
                || e instanceof JobExistsException
                || e instanceof JobNotFoundException
                || e instanceof NotFoundException
                || e instanceof RefusedException
                || e instanceof InvalidInputException
                || e instanceof StoreUnavailableException) {
            return m;
        }
        return m == null ? e.toString() : e.getClass().getSimpleName() + ": " + m;
    }
}
