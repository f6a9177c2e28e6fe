package io.tally.redis;

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
 */
public final class RedisJobStoreProvider implements JobStoreProvider {
    @Override
    public boolean supports(String url) {
        return url != null
                && (url.startsWith("redis://") || url.startsWith("rediss://") || url.startsWith("redis-sentinel://"));
    }

    @Override
    public List<String> schemes() {
        return List.of("redis", "rediss", "redis-sentinel");
    }

    @Override
    public JobStore open(String url, Clock clock) {
        if (!supports(url)) {
            throw new InvalidInputException(
                    "url", "expected redis://, rediss:// or redis-sentinel://, was " + Urls.mask(url));
        }
        String namespace = RedisJobStore.DEFAULT_NAMESPACE;
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
                } else {
                    hasTimeout |= param.startsWith("timeout=");
                    kept.add(param);
                }
            }
            if (!kept.isEmpty()) {
                base = base + "?" + String.join("&", kept);
            }
        }
        io.lettuce.core.RedisURI uri;
        try {
            uri = io.lettuce.core.RedisURI.create(base);
        } catch (RuntimeException e) {
            throw new InvalidInputException("url", "not a Redis URL: " + Urls.mask(url) + " (" + e.getMessage() + ")");
        }
        RedisJobStore.Builder b =
                RedisJobStore.builder().namespace(namespace).clock(clock).uri(uri, url);
        if (hasTimeout) {
            b.timeout(uri.getTimeout());
        }
        return b.build();
    }
}
