package io.tally.cli;

import io.tally.StoreUnavailableException;
import io.tally.Tally;
import io.tally.store.JobStoreProvider;
import java.nio.file.Files;
import java.nio.file.Path;
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

    /**
     * Opens the store at {@code url} for a command that only reads. A SQLite file that does not exist is not created
     * (nor its folders): the store is unavailable, with its path in the message.
     */
    static Tally openExisting(Console console, String url) {
        if (url.startsWith("sqlite:")) {
            String path = url.substring("sqlite:".length()).split("\\?", 2)[0];
            if (!path.equals(":memory:") && !path.isEmpty() && !Files.exists(Path.of(path))) {
                throw new StoreUnavailableException(
                        "no Tally store at " + Path.of(path).toAbsolutePath()
                                + " (a command that only reads does not create one; check --store or TALLY_STORE)");
            }
        }
        return open(console, url);
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
