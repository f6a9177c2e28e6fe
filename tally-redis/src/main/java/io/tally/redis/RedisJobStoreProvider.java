package io.tally.redis;

import io.lettuce.core.RedisURI;
import io.tally.InvalidInputException;
import io.tally.internal.Urls;
import io.tally.store.JobStore;
import io.tally.store.JobStoreProvider;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Opens Redis stores: {@code redis://[user:pass@]host:port/db}, {@code rediss://…} (TLS) and
 * {@code redis-sentinel://…}, as Lettuce's {@link io.lettuce.core.RedisURI} reads them, plus {@code namespace=NAME}
 * (default {@value RedisJobStore#DEFAULT_NAMESPACE}) among the query parameters. Lettuce's {@code timeout=} parameter
 * (e.g. {@code timeout=2s}) sets the operation timeout, {@code 5s} when absent.
 *
 * <p>A Redis Cluster: {@code redis-cluster://[user:pass@]host:port[,host:port…][/]?namespace=…&buckets=…&timeout=…}
 * ({@code rediss-cluster://} with TLS): the seed nodes (any of the Cluster's; the client learns the rest), and the
 * number of buckets a new namespace is spread over ({@link RedisJobStore.Builder#buckets}).
 */
public final class RedisJobStoreProvider implements JobStoreProvider {
    @Override
    public boolean supports(String url) {
        return url != null
                && (url.startsWith("redis://")
                        || url.startsWith("rediss://")
                        || url.startsWith("redis-sentinel://")
                        || isCluster(url));
    }

    private static boolean isCluster(String url) {
        return url.startsWith("redis-cluster://") || url.startsWith("rediss-cluster://");
    }

    @Override
    public List<String> schemes() {
        return List.of("redis", "rediss", "redis-sentinel", "redis-cluster", "rediss-cluster");
    }

    @Override
    public JobStore open(String url, Clock clock) {
        if (!supports(url)) {
            throw new InvalidInputException(
                    "url",
                    "expected redis://, rediss://, redis-sentinel:// or redis-cluster://, was " + Urls.mask(url));
        }
        String namespace = RedisJobStore.DEFAULT_NAMESPACE;
        Integer buckets = null;
        boolean hasTimeout = false;
        String base = url;
        int q = url.indexOf('?');
        if (q >= 0) {
            base = url.substring(0, q);
            List<String> kept = new ArrayList<>();
            for (String param : url.substring(q + 1).split("&")) {
                if (param.isEmpty()) {
                    continue;
                }
                if (param.startsWith("namespace=")) {
                    namespace = URLDecoder.decode(param.substring("namespace=".length()), StandardCharsets.UTF_8);
                } else if (param.startsWith("buckets=") && isCluster(url)) {
                    buckets = bucketCount(param.substring("buckets=".length()));
                } else {
                    hasTimeout |= param.startsWith("timeout=");
                    kept.add(param);
                }
            }
            if (!kept.isEmpty()) {
                base = base + "?" + String.join("&", kept);
            }
        }
        if (isCluster(url)) {
            List<RedisURI> seeds = clusterSeeds(base, url);
            RedisJobStore.Builder b =
                    RedisJobStore.builder().namespace(namespace).clock(clock).clusterUris(seeds, url);
            if (buckets != null) {
                b.buckets(buckets);
            }
            if (hasTimeout) {
                b.timeout(seeds.get(0).getTimeout());
            }
            return b.build();
        }
        RedisURI uri = parse(base, url);
        RedisJobStore.Builder b =
                RedisJobStore.builder().namespace(namespace).clock(clock).uri(uri, url);
        if (hasTimeout) {
            b.timeout(uri.getTimeout());
        }
        return b.build();
    }

    /**
     * @return the seed nodes of {@code redis-cluster://[userinfo@]h1:p1,h2:p2[/][?…]}: each a {@code redis://} (or
     *     {@code rediss://}) URI with the user info and the query (timeout) of the whole
     */
    private static List<RedisURI> clusterSeeds(String base, String url) {
        boolean tls = base.startsWith("rediss-cluster://");
        String rest = base.substring(base.indexOf("://") + 3);
        String query = "";
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q);
            rest = rest.substring(0, q);
        }
        if (rest.endsWith("/")) {
            rest = rest.substring(0, rest.length() - 1);
        }
        if (rest.contains("/")) {
            throw new InvalidInputException(
                    "url", "a Redis Cluster has no databases: no path after the nodes in " + Urls.mask(url));
        }
        String userInfo = "";
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            userInfo = rest.substring(0, at + 1);
            rest = rest.substring(at + 1);
        }
        List<RedisURI> seeds = new ArrayList<>();
        for (String node : rest.split(",")) {
            if (node.isBlank()) {
                throw new InvalidInputException("url", "an empty node in " + Urls.mask(url));
            }
            seeds.add(parse((tls ? "rediss://" : "redis://") + userInfo + node.trim() + query, url));
        }
        return seeds;
    }

    private static RedisURI parse(String base, String url) {
        try {
            return RedisURI.create(base);
        } catch (RuntimeException e) {
            throw new InvalidInputException("url", "not a Redis URL: " + Urls.mask(url) + " (" + e.getMessage() + ")");
        }
    }

    private static int bucketCount(String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new InvalidInputException("buckets", "must be a whole number, was " + value);
        }
    }
}
