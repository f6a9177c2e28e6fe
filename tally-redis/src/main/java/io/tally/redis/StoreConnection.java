package io.tally.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * The connection the store's calls go over: to one server (a {@code RedisClient}'s, a Sentinel's master included), or
 * to a Cluster (a {@code RedisClusterClient}'s, which sends each command to the master of its first key's slot and
 * follows {@code MOVED} and {@code ASK}). The commands are the same on both; loading the function library is not: a
 * Cluster does not share functions between masters, so it is loaded on each (a replica gets its master's).
 */
final class StoreConnection implements AutoCloseable {
    private final StatefulConnection<String, String> stateful;
    private final RedisClusterAsyncCommands<String, String> async;
    private final Function<String, CompletionStage<?>> load;

    private StoreConnection(
            StatefulConnection<String, String> stateful,
            RedisClusterAsyncCommands<String, String> async,
            Function<String, CompletionStage<?>> load) {
        this.stateful = stateful;
        this.async = async;
        this.load = load;
    }

    /** A store's connection and the keys of its namespace, which on a Cluster the namespace's layout decides. */
    record Opened(StoreConnection connection, Keys keys) {}

    /** @return a connection of {@code client} to one server, and the namespace's keys there (one bucket) */
    static Opened open(RedisClient client, String namespace, Duration timeout) {
        StatefulRedisConnection<String, String> c = client.connect(StringCodec.UTF8);
        c.setTimeout(timeout);
        return new Opened(of(c), Keys.single(namespace));
    }

    /**
     * @param buckets the number of buckets asked for, or null ({@link ClusterLayout#buckets})
     * @return a connection of {@code client} to a Cluster, and the namespace's keys there (its buckets)
     */
    static Opened open(RedisClusterClient client, String namespace, Integer buckets, Duration timeout) {
        StatefulRedisClusterConnection<String, String> c = client.connect(StringCodec.UTF8);
        c.setTimeout(timeout);
        try {
            return new Opened(of(c), Keys.cluster(namespace, ClusterLayout.buckets(c, namespace, buckets)));
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** @return the store's connection to one server */
    static StoreConnection of(StatefulRedisConnection<String, String> c) {
        return new StoreConnection(c, c.async(), source -> c.async().functionLoad(source, true));
    }

    /** @return the store's connection to a Cluster */
    static StoreConnection of(StatefulRedisClusterConnection<String, String> c) {
        return new StoreConnection(
                c,
                c.async(),
                source -> CompletableFuture.allOf(c.async()
                        .masters()
                        .commands()
                        .functionLoad(source, true)
                        .futures()));
    }

    /** @return the commands, sent where their keys are */
    RedisClusterAsyncCommands<String, String> async() {
        return async;
    }

    /** Loads a function library ({@code FUNCTION LOAD REPLACE}) on the server, or on every master of the Cluster. */
    CompletionStage<?> loadLibrary(String source) {
        return load.apply(source);
    }

    @Override
    public void close() {
        stateful.close();
    }
}
