package io.tally.redis;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.tally.testing.TestServices;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What only the Redis tests need: a fresh namespace, a store opened in it, the URL of another database, and the
 * clean-up that finds leaked keys. Which Redis, and whether a test skips or fails when it does not answer, is
 * {@link TestServices}'s ({@code TALLY_TEST_REDIS_URL}, {@code TALLY_REQUIRE_SERVICES=1}), as for every other module.
 */
final class RedisTestSupport {
    private RedisTestSupport() {}

    /** @return the test Redis's URL with another database index */
    static String url(int db) {
        String url = TestServices.redisUrlUnchecked();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^([a-z-]+://[^/?]+)(/\\d*)?(\\?.*)?$")
                .matcher(url);
        if (!m.matches()) {
            throw new IllegalStateException("cannot set the database of " + url);
        }
        return m.group(1) + "/" + db + (m.group(3) == null ? "" : m.group(3));
    }

    static String freshNamespace() {
        return "tck-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    }

    /** Opens a store in a fresh namespace of {@code url}. */
    static RedisJobStore open(String url, String namespace, Clock clock) {
        TestServices.redisUrl(); // skips (or fails) the test when the test Redis does not answer
        return (RedisJobStore)
                new RedisJobStoreProvider().open(TestServices.withOption(url, "namespace=" + namespace), clock);
    }

    /** Opens a store in a fresh namespace of the test Cluster, with {@code options} (e.g. {@code buckets=8}) added. */
    static RedisJobStore openCluster(String namespace, Clock clock, String... options) {
        String url = TestServices.withOption(TestServices.redisClusterUrl(), "namespace=" + namespace);
        for (String option : options) {
            url = TestServices.withOption(url, option);
        }
        return (RedisJobStore) new RedisJobStoreProvider().open(url, clock);
    }

    /**
     * Deletes every key of a namespace on the test Cluster (its buckets' keys start with {@code {ns:}, its layout
     * hash is {@code {ns}:layout}), scanning each master.
     */
    static void cleanUpCluster(String namespace) {
        RedisClusterClient c = RedisClusterClient.create(RedisURI.create(TestServices.redisClusterUrl()
                .replaceFirst("^redis-cluster://", "redis://")
                .replaceFirst(",.*$", "")));
        try (StatefulRedisClusterConnection<String, String> conn = c.connect()) {
            for (RedisClusterNode node : conn.getPartitions()) {
                if (!node.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
                    continue;
                }
                RedisCommands<String, String> redis =
                        conn.getConnection(node.getNodeId()).sync();
                ScanCursor cursor = ScanCursor.INITIAL;
                do {
                    KeyScanCursor<String> page = redis.scan(
                            cursor,
                            ScanArgs.Builder.matches("\\{" + namespace + "[:}]*")
                                    .limit(1000));
                    for (String key : page.getKeys()) {
                        redis.del(key);
                    }
                    cursor = page;
                } while (!cursor.isFinished());
            }
        } finally {
            c.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        }
    }

    /**
     * Deletes every job of a namespace through the store's own index (so every index and owned key goes with it), then
     * returns any key of the namespace that is left (a leak; a test may assert it is empty). Only for a namespace a
     * store was opened in ({@link #open} checked that Redis answers).
     */
    static List<String> cleanUp(String url, String namespace) {
        RedisClient c = RedisClient.create(url);
        try (StatefulRedisConnection<String, String> conn = c.connect();
                RedisJobStore store =
                        RedisJobStore.builder().client(c).namespace(namespace).build()) {
            RedisCommands<String, String> redis = conn.sync();
            Keys.Bucket keys = Keys.single(namespace).buckets().get(0);
            for (String member : redis.zrange(keys.all(), 0, -1)) {
                store.delete(member.substring(member.indexOf(':') + 1));
            }
            List<String> left = new ArrayList<>();
            ScanCursor cursor = ScanCursor.INITIAL;
            do {
                KeyScanCursor<String> page = redis.scan(
                        cursor,
                        ScanArgs.Builder.matches(keys.prefix.replace("{", "\\{").replace("}", "\\}") + "*")
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
