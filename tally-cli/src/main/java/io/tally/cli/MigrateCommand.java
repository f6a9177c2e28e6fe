package io.tally.cli;

import static io.tally.cli.TallyCli.OK;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tally.InvalidInputException;
import io.tally.Tally;
import io.tally.internal.Urls;
import io.tally.jdbc.Dialect;
import io.tally.jdbc.JdbcJobStore;
import io.tally.jdbc.JdbcJobStoreProvider;
import io.tally.server.JobJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tally migrate}: applies the SQL stores' schema migrations explicitly. */
@Command(
        name = "migrate",
        description = {
            "Apply the schema migrations to a SQL store; with --status, only show its schema version.",
            "For sqlite:, postgresql:// and mariadb:// stores, which migrate when opened unless the URL has "
                    + "?migrate=false. The store is opened without migrating, migrated, and the schema version "
                    + "before and after printed. Other stores have no schema: exit 2."
        })
final class MigrateCommand extends TallyCommand {
    @Option(
            names = {"--status", "--dry-run"},
            description = "only print the store's schema version and the latest this tally ships; apply nothing")
    boolean status;

    @Override
    public Integer call() {
        String url = storeUrl();
        boolean sql = new JdbcJobStoreProvider().supports(url);
        if (!sql && Stores.hasProvider(url)) {
            throw noSchema(url);
        }
        // An unknown scheme goes to open() unchanged, which names the schemes there are.
        try (Tally tally = Stores.open(console, sql ? withoutMigrating(url) : url)) {
            if (!(tally.storeSpi() instanceof JdbcJobStore store)) {
                throw noSchema(url);
            }
            int before = store.schemaVersion();
            int latest = latestVersion(store.dialect());
            if (status) {
                if (json()) {
                    ObjectNode o = JobJson.MAPPER.createObjectNode();
                    o.put("store", Urls.mask(url));
                    o.put("version", before);
                    o.put("latest", latest);
                    o.put("upToDate", before >= latest);
                    print(o);
                } else {
                    long pending = store.dialect().migrations().stream()
                            .filter(m -> m.version() > before)
                            .count();
                    println("schema version " + before + ", latest " + latest
                            + (pending > 0
                                    ? " (run tally migrate to apply " + pending + " migration"
                                            + (pending == 1 ? "" : "s") + ")"
                                    : before > latest ? " (the store is newer than this tally)" : " (up to date)"));
                }
                return OK;
            }
            int after = store.migrate();
            if (json()) {
                ObjectNode o = JobJson.MAPPER.createObjectNode();
                o.put("store", Urls.mask(url));
                o.put("before", before);
                o.put("after", after);
                o.put("latest", latest);
                print(o);
            } else if (after == before) {
                println("schema already at version " + after
                        + (after > latest ? " (newer than this tally's " + latest + ")" : ""));
            } else {
                println("schema version " + before + " -> " + after);
            }
        }
        return OK;
    }

    private static InvalidInputException noSchema(String url) {
        return new InvalidInputException(
                "store",
                Urls.mask(url) + " has no schema to migrate; tally migrate is for the SQL stores "
                        + "(sqlite:, postgresql://, mariadb://)");
    }

    /** @return the highest version among the dialect's shipped migrations, 0 if it ships none */
    static int latestVersion(Dialect dialect) {
        return dialect.migrations().stream()
                .mapToInt(Dialect.Migration::version)
                .max()
                .orElse(0);
    }

    /**
     * @return the URL with {@code migrate=false} in place of any {@code migrate} option, its other options kept:
     *     the store opens without migrating, so this command sees the version from before and applies the
     *     migrations itself
     */
    static String withoutMigrating(String url) {
        int q = url.indexOf('?');
        StringBuilder out = new StringBuilder(q < 0 ? url : url.substring(0, q)).append('?');
        if (q >= 0) {
            for (String pair : url.substring(q + 1).split("&")) {
                String key = pair.split("=", 2)[0];
                if (!pair.isEmpty() && !key.equals("migrate")) {
                    out.append(pair).append('&');
                }
            }
        }
        return out.append("migrate=false").toString();
    }
}
