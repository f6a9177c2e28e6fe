package io.tally.redis;

import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import io.tally.InvalidInputException;

/**
 * The number of buckets of a namespace on a Cluster: fixed when the namespace is created, stored in its layout hash
 * ({@link Keys#layout}, field {@code buckets}), and read by every store opened on it since, so that all agree on
 * which bucket holds which job.
 */
final class ClusterLayout {
    private ClusterLayout() {}

    /**
     * @param asked the number the store was asked for, or null (the stored one, else {@link
     *     RedisJobStore#DEFAULT_CLUSTER_BUCKETS})
     * @return the namespace's number of buckets, stored now if the namespace is new
     * @throws InvalidInputException if {@code asked} is not the number the namespace was created with
     */
    static int buckets(StatefulRedisClusterConnection<String, String> c, String namespace, Integer asked) {
        RedisAdvancedClusterCommands<String, String> redis = c.sync();
        String key = Keys.layout(namespace);
        int wanted = asked != null ? asked : RedisJobStore.DEFAULT_CLUSTER_BUCKETS;
        redis.hsetnx(key, "buckets", Integer.toString(wanted)); // (the first store to open the namespace decides)
        String stored = redis.hget(key, "buckets");
        int buckets;
        try {
            buckets = Keys.checkBuckets(Integer.parseInt(stored));
        } catch (RuntimeException e) {
            throw new InvalidInputException(
                    "buckets", "the namespace's layout " + key + " holds 'buckets' = " + stored + ", not a count");
        }
        if (asked != null && asked != buckets) {
            throw new InvalidInputException(
                    "buckets",
                    "namespace " + namespace + " was created with " + buckets + " buckets, which is fixed (asked "
                            + asked + ")");
        }
        return buckets;
    }
}
