package io.tally;

import io.tally.internal.Urls;
import io.tally.store.JobStoreProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/** Which store takes a URL: the {@link JobStoreProvider}s on the class path, asked in turn. */
final class StoreProviders {
    private StoreProviders() {}

    /**
     * @return the provider that supports {@code url}
     * @throws InvalidInputException if none does, naming the Maven artifact that would bring one
     */
    static JobStoreProvider forUrl(String url) {
        List<String> schemes = new ArrayList<>();
        for (JobStoreProvider p : ServiceLoader.load(JobStoreProvider.class)) {
            if (p.supports(url)) {
                return p;
            }
            schemes.addAll(p.schemes());
        }
        String hint = storeArtifact(url)
                .map(a -> " (add the Maven artifact " + a + ")")
                .orElse("");
        throw new InvalidInputException(
                "url", "no store for '" + Urls.mask(url) + "'" + hint + "; schemes on the class path: " + schemes);
    }

    /** @return the artifact that brings the store of {@code url}, with its driver */
    private static Optional<String> storeArtifact(String url) {
        String scheme = url.contains(":") ? url.substring(0, url.indexOf(':')) : url;
        return Optional.ofNullable(
                switch (scheme) {
                    case "sqlite" -> "io.tally:tally-sqlite";
                    case "postgresql", "postgres" -> "io.tally:tally-postgresql";
                    case "mariadb", "mysql" -> "io.tally:tally-mariadb";
                    case "redis", "rediss", "redis-sentinel", "redis-cluster", "rediss-cluster" ->
                        "io.tally:tally-redis";
                    default -> null;
                });
    }
}
