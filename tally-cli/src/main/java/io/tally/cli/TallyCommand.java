package io.tally.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.tally.Tally;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;

/**
 * What every subcommand shares: the console it runs against (set by {@link ConsoleFactory}) and the options every
 * command takes ({@code --store}, {@code --json}, {@code --verbose}).
 */
abstract class TallyCommand implements Callable<Integer> {
    /** Set by {@link ConsoleFactory} right after construction; picocli's default factory cannot pass it in. */
    Console console;

    @Mixin
    StoreOption storeOption;

    @Mixin
    JsonOption jsonOption;

    @Mixin
    VerboseOption verboseOption;

    /** @return true to print JSON rather than human text */
    boolean json() {
        return jsonOption.enabled(console);
    }

    /** @return the store URL chosen by {@code --store}, {@code TALLY_STORE} or the default */
    String storeUrl() {
        return storeOption.url(console.env());
    }

    /** Opens the store given by {@link #storeUrl()}. */
    Tally open() {
        return Stores.open(console, storeUrl());
    }

    /** Opens the store given by {@link #storeUrl()} for a command that only reads: it creates no SQLite file. */
    Tally openForReading() {
        return Stores.openExisting(console, storeUrl());
    }

    /** @return how this command prints jobs and builds, in the format {@link #json()} chose */
    JobOutput output() {
        return new JobOutput(console, json());
    }

    /** Prints one JSON document on a line. */
    void print(JsonNode node) {
        console.out().println(node.toString());
    }

    /**
     * @return the option that gives the API field {@code field} when it is not {@code --field} (so that a refusal of
     *     the field names what the user typed: {@link Errors#message}), or null
     */
    String optionFor(String field) {
        return null;
    }

    /** Prints one line of text. */
    void println(String s) {
        console.out().println(s);
    }
}
