package io.tally.redis;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the test Redis: {@code TALLY_TEST_REDIS_URL}, else {@code redis://127.0.0.1:6379}. If it cannot be reached the
 * test is skipped, unless {@code TALLY_REQUIRE_SERVICES=1}, then it fails.
 */
final class RedisTestSupport {
    static final String DEFAULT_URL = "redis://127.0.0.1:6379";

    private RedisTestSupport() {}

    static String url() {
        String url = System.getenv("TALLY_TEST_REDIS_URL");
        return url == null || url.isBlank() ? DEFAULT_URL : url;
    }

    /** @return the URL with another database index */
    static String url(int db) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^([a-z-]+://[^/?]+)(/\\d*)?(\\?.*)?$")
                .matcher(url());
        if (!m.matches()) {
            throw new IllegalStateException("cannot set the database of " + url());
        }
        return m.group(1) + "/" + db + (m.group(3) == null ? "" : m.group(3));
    }

    private static volatile Boolean reachable;

    static void requireRedis() {
        if (reachable == null) {
            RedisClient c = RedisClient.create(url());
            try (StatefulRedisConnection<String, String> conn = c.connect()) {
                conn.sync().ping();
                reachable = true;
            } catch (RuntimeException e) {
                reachable = false;
            } finally {
                c.shutdown(Duration.ZERO, Duration.ZERO);
            }
        }
        if (!reachable) {
            if ("1".equals(System.getenv("TALLY_REQUIRE_SERVICES"))) {
                Assertions.fail("Redis is required (TALLY_REQUIRE_SERVICES=1) but " + url() + " cannot be reached");
            }
            Assumptions.abort("Redis not reachable at " + url());
        }
    }

    static String freshNamespace() {
        return "tck-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    }

    /** Opens a store in a fresh namespace of {@code url}. */
    static RedisJobStore open(String url, String namespace, Clock clock) {
        requireRedis();
        String sep = url.contains("?") ? "&" : "?";
        return (RedisJobStore) new RedisJobStoreProvider().open(url + sep + "namespace=" + namespace, clock);
    }

    /**
     * Deletes every job of a namespace through the store's own index (so every index and owned key goes with it), then
     * returns any key of the namespace that is left (a leak; a test may assert it is empty).
     */
    static List<String> cleanUp(String url, String namespace) {
        if (!Boolean.TRUE.equals(reachable)) {
            return List.of(); // nothing was written
        }
        RedisClient c = RedisClient.create(url);
        try (StatefulRedisConnection<String, String> conn = c.connect();
                RedisJobStore store =
                        RedisJobStore.builder().client(c).namespace(namespace).build()) {
            RedisCommands<String, String> redis = conn.sync();
            Keys keys = new Keys(namespace);
            for (String member : redis.zrange(keys.all(), 0, -1)) {
                store.delete(member.substring(member.indexOf(':') + 1));
            }
            List<String> left = new ArrayList<>();
            ScanCursor cursor = ScanCursor.INITIAL;
            do {
                KeyScanCursor<String> page = redis.scan(
                        cursor,
                        ScanArgs.Builder.matches(
                                        keys.prefix().replace("{", "\\{").replace("}", "\\}") + "*")
                                .limit(500));
                left.addAll(page.getKeys());
                cursor = page;
            } while (!cursor.isFinished());
            if (!left.isEmpty()) {
                redis.del(left.toArray(new String[0]));
            }
            return left;
        } finally {
            c.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        }
    }
}
