package io.tally.cli;

import picocli.CommandLine.Option;

/**
 * The {@code --verbose} option every command takes. Declared so picocli accepts it and lists it in the help; the error
 * handler in {@link TallyCli#run} reads it from the raw arguments instead, because it must work whichever command
 * failed.
 */
final class VerboseOption {
    @Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;
}
