package io.tally.redis;

import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.pubsub.RedisClusterPubSubAdapter;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The subscription of a Cluster namespace's events: every bucket's shard channel ({@code SSUBSCRIBE}, which Lettuce
 * sends to the node that serves the channel's slot), kept subscribed.
 *
 * <p>Why "kept": a node drops the subscribers of a shard channel ({@code SUNSUBSCRIBE} from the server) when it stops
 * serving the channel's slot — a failover demotes the master, a resharding moves the slot — and Lettuce does not
 * subscribe again by itself (seen: after a {@code CLUSTER FAILOVER}, none of 30 jobs' events heard). So a channel the
 * server dropped is subscribed again, {@value #RETRY_MILLIS} ms later, wherever the topology then puts it, until that
 * succeeds; events published in between are not heard (pub/sub keeps nothing, as on one server when the connection
 * drops).
 */
final class ShardChannels {
    private static final Logger log = LoggerFactory.getLogger(ShardChannels.class);
    private static final long RETRY_MILLIS = 100;
    private static final Executor LATER = CompletableFuture.delayedExecutor(RETRY_MILLIS, TimeUnit.MILLISECONDS);

    private ShardChannels() {}

    /**
     * @return a connection subscribed to every one of {@code channels}, handing every message to {@code messages}
     */
    static StatefulRedisClusterPubSubConnection<String, String> subscribe(
            RedisClusterClient client, List<String> channels, Duration timeout, Consumer<String> messages) {
        StatefulRedisClusterPubSubConnection<String, String> c = client.connectPubSub(StringCodec.UTF8);
        c.setTimeout(timeout);
        c.addListener(new RedisClusterPubSubAdapter<>() {
            @Override
            public void smessage(RedisClusterNode node, String channel, String message) {
                messages.accept(message);
            }

            @Override
            public void sunsubscribed(RedisClusterNode node, String channel, long count) {
                again(c, channel);
            }
        });
        for (String channel : channels) {
            c.sync().ssubscribe(channel); // (one each: the channels are on different slots)
        }
        return c;
    }

    /** Subscribes {@code channel} again a moment from now, and again after that while it fails. */
    private static void again(StatefulRedisClusterPubSubConnection<String, String> c, String channel) {
        CompletableFuture.runAsync(() -> {}, LATER).thenRun(() -> {
            if (!c.isOpen()) {
                return; // the store let go of its events
            }
            c.async().ssubscribe(channel).whenComplete((ok, failure) -> {
                if (failure != null) {
                    log.debug("subscribing {} again failed, retrying: {}", channel, failure.toString());
                    again(c, channel);
                }
            });
        });
    }
}
