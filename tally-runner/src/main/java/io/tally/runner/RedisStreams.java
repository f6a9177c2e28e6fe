package io.tally.runner;

import io.lettuce.core.Consumer;
import io.lettuce.core.RedisBusyException;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XClaimArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.models.stream.ClaimedMessages;
import io.tally.InvalidInputException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link RedisStreamsDispatcher}'s work on Lettuce, in a class of its own so that the public class loads without
 * Lettuce and can say which artifact is missing (a class that catches Lettuce's exceptions fails to load as a whole).
 * How it works is told on {@link RedisStreamsDispatcher}.
 */
final class RedisStreams implements Dispatcher {
    private static final Logger log = LoggerFactory.getLogger(RedisStreamsDispatcher.class);
    private static final String FIELD = "message";

    private final RedisClient client;
    private final StatefulRedisConnection<String, String> commands;
    private final String stream;
    private final String group;
    private final String consumer;
    private final Duration claimIdle;
    private final int threads;
    private final boolean consume;
    private final int maxDeliveries;
    private final String deadStream;
    private final Set<String> inProgress = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private Thread reader;
    private ExecutorService workers;

    RedisStreams(RedisStreamsDispatcher.Builder b) {
        this.client = RedisClient.create(b.url());
        try {
            this.commands = client.connect();
        } catch (RedisException e) {
            client.shutdown();
            throw new DispatchException("cannot connect to Redis for stream " + b.stream() + ": " + e.getMessage(), e);
        }
        this.stream = b.stream();
        this.group = b.group();
        this.consumer = b.consumer();
        this.claimIdle = b.claimIdle();
        this.threads = b.threads();
        this.consume = b.consume();
        this.maxDeliveries = b.maxDeliveries();
        this.deadStream = b.deadLetterStream();
        createGroup();
    }

    private void createGroup() {
        try {
            commands.sync()
                    .xgroupCreate(
                            XReadArgs.StreamOffset.from(stream, "0-0"), group, XGroupCreateArgs.Builder.mkstream());
        } catch (RedisBusyException exists) {
            // BUSYGROUP: another process created it first.
        } catch (RedisException e) {
            if (e.getMessage() == null || !e.getMessage().contains("BUSYGROUP")) {
                throw new DispatchException("cannot create consumer group " + group + " on " + stream, e);
            }
        }
    }

    @Override
    public void publish(WorkMessage message) {
        if (closed) {
            throw new DispatchException("dispatcher is closed; cannot publish " + message);
        }
        // A message published twice is harmless (parts and builds are idempotent), so a command lost to a dropped
        // connection is sent again before giving up; an error Redis itself returned (WRONGTYPE, OOM…) is final.
        for (int attempt = 1; ; attempt++) {
            try {
                commands.sync().xadd(stream, Map.of(FIELD, message.toJson()));
                return;
            } catch (RedisCommandExecutionException refused) {
                throw new DispatchException(
                        "XADD to " + stream + " failed for " + message + ": " + refused.getMessage(), refused);
            } catch (RedisException e) {
                if (attempt >= 3 || closed) {
                    throw new DispatchException(
                            "XADD to " + stream + " failed for " + message + ": " + e.getMessage(), e);
                }
                log.debug("XADD to {} failed ({}), sending it again", stream, e.toString());
                pause();
            }
        }
    }

    @Override
    public synchronized void start(MessageHandler handler) {
        if (handler == null) {
            throw new InvalidInputException("handler", "must not be null");
        }
        if (!consume || reader != null) {
            return;
        }
        workers = Executors.newFixedThreadPool(threads, Runner.daemon("tally-stream-worker"));
        reader = new Thread(() -> readLoop(handler), "tally-stream-reader-" + stream);
        reader.setDaemon(true);
        reader.start();
    }

    private void readLoop(MessageHandler handler) {
        Semaphore free = new Semaphore(threads);
        Consumer<String> me = Consumer.from(group, consumer);
        long claimEveryNanos = Math.max(1, claimIdle.toNanos() / 3);
        long nextClaim = System.nanoTime();
        String claimCursor = "0-0";
        while (!closed) {
            // Reconnect from scratch if Redis was unreachable or restarted: a worker must outlive an outage.
            try (StatefulRedisConnection<String, String> conn = client.connect()) {
                while (!closed) {
                    free.acquire();
                    int n = 1 + free.drainPermits();
                    List<StreamMessage<String, String>> batch = List.of();
                    try {
                        if (System.nanoTime() - nextClaim >= 0) {
                            nextClaim = System.nanoTime() + claimEveryNanos;
                            refreshInProgress(conn, me);
                            ClaimedMessages<String, String> claimed = conn.sync()
                                    .xautoclaim(
                                            stream,
                                            XAutoClaimArgs.Builder.xautoclaim(me, claimIdle, claimCursor)
                                                    .count(n));
                            claimCursor = claimed.getId();
                            batch = claimed.getMessages();
                            if (!batch.isEmpty()) {
                                log.info(
                                        "{} reclaimed {} entries idle for {} from {}",
                                        consumer,
                                        batch.size(),
                                        claimIdle,
                                        stream);
                            }
                        }
                        if (batch.isEmpty()) {
                            batch = conn.sync()
                                    .xreadgroup(
                                            me,
                                            XReadArgs.Builder.block(Duration.ofSeconds(1))
                                                    .count(n),
                                            XReadArgs.StreamOffset.lastConsumed(stream));
                        }
                    } catch (RuntimeException e) {
                        free.release(n);
                        throw e;
                    }
                    free.release(n - batch.size());
                    for (StreamMessage<String, String> m : batch) {
                        inProgress.add(m.getId());
                        workers.execute(() -> {
                            try {
                                process(handler, m);
                            } finally {
                                inProgress.remove(m.getId());
                                free.release();
                            }
                        });
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                if (closed) {
                    return;
                }
                log.warn("reading {} failed, retrying: {}", stream, e.toString());
                if (e.getMessage() != null && e.getMessage().contains("NOGROUP")) {
                    createGroup(); // the stream was deleted (e.g. FLUSHDB): start again with a new group
                }
                pause();
            }
        }
    }

    /** Resets the idle time of entries this worker is still running, so no other worker takes them over. */
    private void refreshInProgress(StatefulRedisConnection<String, String> conn, Consumer<String> me) {
        if (!inProgress.isEmpty()) {
            conn.sync().xclaim(stream, me, XClaimArgs.Builder.justid(), inProgress.toArray(new String[0]));
        }
    }

    private void process(MessageHandler handler, StreamMessage<String, String> entry) {
        WorkMessage message;
        try {
            message = WorkMessage.fromJson(entry.getBody().get(FIELD));
        } catch (RuntimeException malformed) {
            log.error("dropping malformed entry {} of {}: {}", entry.getId(), stream, malformed.toString());
            ack(entry.getId());
            return;
        }
        Deliveries.Outcome o = Deliveries.deliver(handler, message, maxDeliveries);
        if (o.verdict() == Deliveries.Verdict.RETRY) {
            try {
                publish(message.redelivery()); // retry now rather than after claimIdle
            } catch (RuntimeException publishFailed) {
                log.warn("cannot requeue {}; it stays pending and is reclaimed after {}", message, claimIdle);
                return;
            }
        } else if (o.verdict() == Deliveries.Verdict.DEAD_LETTER) {
            try {
                commands.sync().xadd(deadStream, Map.of(FIELD, message.toJson(), "error", String.valueOf(o.cause())));
            } catch (RedisException e) {
                log.warn("cannot dead-letter {} to {}; it stays pending: {}", message, deadStream, e.toString());
                return;
            }
            Deliveries.deadLettered(handler, message, "stream '" + deadStream + "'", o.cause());
        }
        ack(entry.getId());
    }

    private void ack(String id) {
        try {
            commands.sync().xack(stream, group, id);
            commands.sync().xdel(stream, id);
        } catch (RedisException e) {
            // Not acknowledged: it will be reclaimed and handled again, which the runner makes harmless.
            log.warn("XACK {} on {} failed: {}", id, stream, e.toString());
        }
    }

    private static void pause() {
        try {
            TimeUnit.MILLISECONDS.sleep(200); // back off from a failing Redis instead of spinning
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    String consumer() {
        return consumer;
    }

    /** Stops reading, waits briefly for running messages, closes the connections. Unacknowledged entries stay pending. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (reader != null) {
                reader.join(3000);
            }
            if (workers != null) {
                workers.shutdown();
                workers.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            commands.close();
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }
}
