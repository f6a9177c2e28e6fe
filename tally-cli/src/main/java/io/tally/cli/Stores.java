package io.tally.cli;

import io.tally.StoreUnavailableException;
import io.tally.Tally;
import io.tally.store.JobStoreProvider;
import java.util.ServiceLoader;

/** Opening a store from a URL, with a clear message when this build lacks the store module the URL needs. */
final class Stores {
    private Stores() {}

    /**
     * Opens the store at {@code url} with the console's opener. The default URL is SQLite, so a build without
     * tally-sqlite would otherwise fail with "no store for sqlite:" and no hint how to go on.
     */
    static Tally open(Console console, String url) {
        if (url.startsWith("sqlite:") && !hasProvider(url)) {
            throw new StoreUnavailableException("the SQLite store (" + url + ") is not in this build "
                    + "(add io.tally:tally-sqlite); pass --store memory: or set TALLY_STORE");
        }
        return console.opener().apply(url);
    }

    /** @return true when a store module on the class path supports {@code url} */
    static boolean hasProvider(String url) {
        for (JobStoreProvider p : ServiceLoader.load(JobStoreProvider.class)) {
            if (p.supports(url)) {
                return true;
            }
        }
        return false;
    }
}
