package io.tally.cli;

import picocli.CommandLine.Option;

/** The {@code --json} option every command takes. */
final class JsonOption {
    @Option(names = "--json", description = "print JSON (the default when stdout is not a terminal)")
    boolean json;

    /** @return true to print JSON: asked for, or stdout is not a terminal (scripts and pipes get JSON) */
    boolean enabled(Console console) {
        return json || !console.terminal();
    }
}
