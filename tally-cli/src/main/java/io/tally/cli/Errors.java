package io.tally.cli;

import io.tally.IllegalTransitionException;
import io.tally.InvalidInputException;
import io.tally.JobExistsException;
import io.tally.JobFinishedException;
import io.tally.JobNotFoundException;
import io.tally.StoreUnavailableException;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

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
     * @param command the command that ran: a field of an {@link InvalidInputException} is named as its option or
     *     parameter there ({@code total} as {@code --total}, {@code addTotal} as {@code --add-total}, {@code part} as
     *     {@code PART}), which is what the user typed
     * @return the message alone for the exceptions that are written for users; other exceptions are bugs or surprises,
     *     so their class name is kept to say what went wrong
     */
    static String message(Throwable e, CommandSpec command) {
        if (e instanceof InvalidInputException invalid && e.getMessage().startsWith(invalid.field() + ":")) {
            return optionOf(invalid.field(), command)
                    + e.getMessage().substring(invalid.field().length());
        }
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

    /** @return the option or positional parameter of {@code command} that {@code field} names, else {@code field} */
    private static String optionOf(String field, CommandSpec command) {
        if (field.startsWith("-") || command == null) {
            return field;
        }
        String own = command.userObject() instanceof TallyCommand c ? c.optionFor(field) : null;
        if (own != null) {
            return own;
        }
        OptionSpec option = command.findOption(
                "--" + field.replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT));
        if (option != null) {
            return option.longestName();
        }
        for (PositionalParamSpec p : command.positionalParameters()) {
            if (p.paramLabel().equalsIgnoreCase(field)) {
                return p.paramLabel();
            }
        }
        return field;
    }
}
