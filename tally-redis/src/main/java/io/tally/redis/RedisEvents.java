package io.tally.redis;

import com.fasterxml.jackson.databind.JsonNode;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.tally.EventType;
import io.tally.internal.Json;
import io.tally.store.JobRecord;
import io.tally.store.LocalEventHub;
import io.tally.store.StoreEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's events, heard on the namespace's pub/sub channel ({@code {ns}:events}; on a Cluster, each bucket's shard
 * channel) and handed to a {@link LocalEventHub}, the same fan-out the other stores use. Every write's function
 * publishes one message there, {@code {"id", "events": [{"type", "part"}], "job": {the job hash}}}, this process's
 * writes and every other's alike.
 *
 * <p>The channel is subscribed on its own connection (a subscribed connection takes no other commands) while at least
 * one listener is subscribed, and left with the last one: the functions publish only when the channel has a
 * subscriber, because building the message reads and encodes the whole job, so a subscription nobody needs makes
 * every write dearer. Listeners are called on that connection's I/O thread, and, for the last progress of a burst of
 * writes whose messages the functions coalesced, on {@link TrailingProgress}'s thread.
 */
final class RedisEvents implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RedisEvents.class);

    private final LocalEventHub hub = new LocalEventHub();
    private final Function<Consumer<String>, StatefulRedisPubSubConnection<String, String>> open;
    private final String channel;
    private final TrailingProgress trailing;

    /** Guards {@link #pubSub} together with the hub's listeners: the connection is open while the hub has any. */
    private final Object lock = new Object();

    private StatefulRedisPubSubConnection<String, String> pubSub;

    /**
     * @param open opens a pub/sub connection subscribed to the namespace's channels, which hands every message to the
     *     consumer ({@link #onServer}, {@link #onCluster})
     * @param channel the channels as log messages name them
     * @param read reads a job, for the last progress of a burst of writes ({@link TrailingProgress})
     */
    RedisEvents(
            Function<Consumer<String>, StatefulRedisPubSubConnection<String, String>> open,
            String channel,
            Function<String, Optional<JobRecord>> read) {
        this.open = open;
        this.channel = channel;
        this.trailing = new TrailingProgress(read, hub::publish);
    }

    /** @return the events of a namespace on one server: its channel, subscribed on a connection of {@code client} */
    static RedisEvents onServer(
            RedisClient client, String channel, Duration timeout, Function<String, Optional<JobRecord>> read) {
        return new RedisEvents(
                messages -> {
                    StatefulRedisPubSubConnection<String, String> c = client.connectPubSub(StringCodec.UTF8);
                    c.setTimeout(timeout);
                    c.addListener(new RedisPubSubAdapter<>() {
                        @Override
                        public void message(String channel, String message) {
                            messages.accept(message);
                        }
                    });
                    c.sync().subscribe(channel);
                    return c;
                },
                channel,
                read);
    }

    /**
     * @return the events of a namespace on a Cluster: every bucket's shard channel, subscribed again after a failover
     *     ({@link ShardChannels})
     */
    static RedisEvents onCluster(
            RedisClusterClient client,
            List<String> shardChannels,
            Duration timeout,
            Function<String, Optional<JobRecord>> read) {
        return new RedisEvents(
                messages -> ShardChannels.subscribe(client, shardChannels, timeout, messages),
                shardChannels.size() + " shard channels " + shardChannels.get(0) + "…",
                read);
    }

    /**
     * Subscribes a listener; the first one subscribes to the channel.
     *
     * @return closes the subscription
     * @throws RedisException if the channel cannot be subscribed (the listener is then not added)
     */
    AutoCloseable subscribe(Consumer<StoreEvent> listener) {
        AutoCloseable subscription;
        synchronized (lock) {
            if (pubSub == null) {
                pubSub = connect();
            }
            subscription = hub.subscribe(listener);
        }
        return () -> unsubscribe(subscription);
    }

    private StatefulRedisPubSubConnection<String, String> connect() {
        return open.apply(this::deliver);
    }

    /** Ends a subscription; the last one closes the pub/sub connection (see the class comment for why). */
    private void unsubscribe(AutoCloseable subscription) throws Exception {
        synchronized (lock) {
            subscription.close();
            if (!hub.hasListeners() && pubSub != null) {
                pubSub.closeAsync(); // the server drops the subscription with the connection
                pubSub = null;
                trailing.clear();
            }
        }
    }

    private void deliver(String message) {
        List<StoreEvent> events;
        try {
            events = decode(message);
        } catch (RuntimeException e) {
            log.warn("ignoring a malformed event on {}: {}", channel, e.toString());
            return;
        }
        events.forEach(trailing::deliver);
    }

    /** @return the events of one published message, each with the job as the message carries it */
    static List<StoreEvent> decode(String message) {
        JsonNode n = Json.tree(message);
        Map<String, String> h = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = n.get("job").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            h.put(e.getKey(), e.getValue().asText());
        }
        JobRecord r = Records.record(h);
        List<StoreEvent> events = new ArrayList<>();
        for (JsonNode e : n.get("events")) {
            JsonNode part = e.get("part");
            events.add(new StoreEvent(EventType.valueOf(e.get("type").asText()), r, part == null ? -1 : part.asInt()));
        }
        return events;
    }

    /** Leaves the channel; listeners still subscribed hear nothing more. */
    @Override
    public void close() {
        trailing.close();
        synchronized (lock) {
            if (pubSub != null) {
                pubSub.close();
                pubSub = null;
            }
        }
    }
}
