package io.tally.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.RedisCommand;
import java.time.Duration;
import java.util.List;

/**
 * How the store sets up a Lettuce client it creates for a URL. (A client the application passes in keeps its own
 * options: Lettuce's defaults re-send the commands in flight after a reconnect, which can apply an increment twice.)
 */
final class ClientSettings {
    private ClientSettings() {}

    /** @return a client for {@code uri}, named for the namespace, with {@link #options} */
    static RedisClient create(RedisURI uri, String namespace, Duration timeout) {
        RedisClient client = RedisClient.create(named(uri, namespace));
        client.setOptions(options(timeout));
        return client;
    }

    /**
     * @return a client for the Cluster of the seed nodes {@code uris}, named for the namespace, with {@link #options}
     *     and the topology kept current: read again at once when a command is redirected ({@code MOVED}, {@code ASK})
     *     or a node cannot be reached (a failover), and every 30 s
     */
    static RedisClusterClient createCluster(List<RedisURI> uris, String namespace, Duration timeout) {
        RedisClusterClient client = RedisClusterClient.create(
                uris.stream().map(u -> named(u, namespace)).toList());
        client.setOptions(ClusterClientOptions.builder(options(timeout))
                .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                        .enableAllAdaptiveRefreshTriggers()
                        .adaptiveRefreshTriggersTimeout(Duration.ofMillis(500))
                        .enablePeriodicRefresh(Duration.ofSeconds(30))
                        .build())
                .build());
        return client;
    }

    /**
     * The URI with a client name, unless it has one ({@code ?clientName=}): {@code tally:NAMESPACE}, so that
     * {@code CLIENT LIST} shows which connections are Tally's (Lettuce sends {@code CLIENT SETNAME} on every connect
     * and reconnect).
     */
    static RedisURI named(RedisURI uri, String namespace) {
        if (uri.getClientName() != null) {
            return uri;
        }
        return RedisURI.builder(uri).withClientName("tally:" + namespace).build();
    }

    /**
     * Reconnects in the background; while disconnected, commands are rejected at once (the store retries what may be
     * retried, see {@link FunctionRunner}) rather than queued past the timeout; commands in flight after a reconnect
     * are re-sent only when {@link #notReplayed} lets them.
     */
    static ClientOptions options(Duration timeout) {
        return ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .replayFilter(ClientSettings::notReplayed)
                .socketOptions(SocketOptions.builder()
                        .connectTimeout(timeout)
                        .keepAlive(true)
                        .build())
                .build();
    }

    /**
     * Lettuce re-sends the commands in flight when a connection drops (at least once). Idempotent functions may run
     * again (recordParts and create carry a token that gives a re-run the same answer); a call of any other (an
     * increment) is failed at once instead, so the caller gets a {@link io.tally.StoreUnavailableException} ("may or
     * may not have been applied") and nothing is counted twice by the client itself.
     */
    static boolean notReplayed(RedisCommand<?, ?, ?> cmd) {
        if (cmd.getType() != CommandType.FCALL || cmd.getArgs() == null) {
            return false;
        }
        String args = cmd.getArgs().toCommandString();
        for (Functions f : Functions.values()) {
            if (!f.idempotent && args.startsWith(f.fullName() + " ")) {
                cmd.completeExceptionally(
                        new RedisException(
                                "connection lost with the command in flight; not re-sent: it may or may not have been applied"));
                return true;
            }
        }
        return false;
    }
}
