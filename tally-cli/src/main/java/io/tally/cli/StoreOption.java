package io.tally.cli;

import java.util.Map;
import picocli.CommandLine.Option;

/** The {@code --store URL} option every command takes, and the order in which the store URL is chosen. */
final class StoreOption {
    @Option(
            names = "--store",
            paramLabel = "URL",
            description = "store URL: memory:, sqlite:PATH, postgresql://…, mariadb://…, redis://…, dynamodb://… "
                    + "(default: env TALLY_STORE, else " + TallyCli.DEFAULT_STORE + ")")
    String store;

    /**
     * @param env the environment, for {@code TALLY_STORE}
     * @return {@code --store} if given, else {@code TALLY_STORE}, else {@link TallyCli#DEFAULT_STORE}; blank values
     *     count as not given so that {@code TALLY_STORE=} in a script does not open an empty URL
     */
    String url(Map<String, String> env) {
        if (store != null && !store.isBlank()) {
            return store;
        }
        String fromEnv = env.get("TALLY_STORE");
        return fromEnv != null && !fromEnv.isBlank() ? fromEnv : TallyCli.DEFAULT_STORE;
    }
}
