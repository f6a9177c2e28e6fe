package io.tally.cli;

import io.tally.Tally;
import java.io.PrintWriter;
import java.util.Map;
import java.util.function.Function;

/**
 * What a command runs against: its output streams, whether stdout is a terminal, the environment, and how a store URL
 * is opened. Tests pass their own so commands run in-process over one shared store.
 *
 * @param out standard output
 * @param err standard error
 * @param terminal true when stdout is a terminal (human tables); false prints JSON
 * @param env environment variables ({@code TALLY_STORE}, {@code TALLY_TOKEN}, …)
 * @param opener opens a store URL
 */
public record Console(
        PrintWriter out, PrintWriter err, boolean terminal, Map<String, String> env, Function<String, Tally> opener) {

    /** @return the console of this process: System.out/err, a terminal when {@code System.console()} exists */
    public static Console system() {
        return new Console(
                new PrintWriter(System.out, true),
                new PrintWriter(System.err, true),
                System.console() != null,
                System.getenv(),
                Tally::open);
    }
}
