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
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Dispatcher} over a Redis Stream with a consumer group (needs {@code io.lettuce:lettuce-core}).
 *
 * <p><b>How it works.</b> {@link #publish} is one {@code XADD stream * message <json>}, sent synchronously: when it
 * returns, Redis has the message; when it fails, {@link DispatchException} is thrown. Each worker reads with
 * {@code XREADGROUP GROUP group consumer COUNT free BLOCK 1000 STREAMS stream >}, reading only as many entries as it
 * has free threads. An entry is acknowledged ({@code XACK}, then {@code XDEL} so the stream stays small) only after
 * the handler returned. If the handler throws, the message is published again with {@code attempt + 1} and the
 * original acknowledged (an immediate retry). If the worker dies, its entries stay in the group's pending list; every
 * worker runs {@code XAUTOCLAIM stream group me claimIdle …} about three times per {@code claimIdle} and takes over
 * entries idle that long. A worker keeps its own in-progress entries fresh with {@code XCLAIM … JUSTID} (idle reset)
 * so a long part is not taken from a live worker. Delivery is therefore at least once; the runner makes repeats
 * harmless.
 *
 * <p>The group is created (at the start of the stream, {@code MKSTREAM}) by whoever comes first, publisher or worker,
 * so messages published before any worker started are kept for the first one. Use one stream per deployment (one
 * group reads it): acknowledged entries are deleted.
 */
public final class RedisStreamsDispatcher implements Dispatcher {
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
    private final Set<String> inProgress = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private Thread reader;
    private ExecutorService workers;

    private RedisStreamsDispatcher(Builder b) {
        this.client = RedisClient.create(b.url);
        try {
            this.commands = client.connect();
        } catch (RedisException e) {
            client.shutdown();
            throw new DispatchException("cannot connect to Redis for stream " + b.stream + ": " + e.getMessage(), e);
        }
        this.stream = b.stream;
        this.group = b.group;
        this.consumer = b.consumer;
        this.claimIdle = b.claimIdle;
        this.threads = b.threads;
        this.consume = b.consume;
        createGroup();
    }

    /**
     * @param redisUrl a Lettuce URL, e.g. {@code redis://127.0.0.1:6379/0} (often read from configuration, so it is
     *     checked as input)
     * @return a builder
     * @throws InvalidInputException if the URL is null or blank
     */
    public static Builder builder(String redisUrl) {
        if (redisUrl == null || redisUrl.isBlank()) {
            throw new InvalidInputException("redisUrl", "must not be blank");
        }
        return new Builder(redisUrl);
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
        try {
            handler.handle(message);
        } catch (Exception e) {
            try {
                publish(message.redelivery()); // retry now rather than after claimIdle
            } catch (RuntimeException publishFailed) {
                log.warn("cannot requeue {}; it stays pending and is reclaimed after {}", message, claimIdle);
                return;
            }
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

    /** @return this worker's consumer name in the group */
    public String consumer() {
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

    /**
     * Builds a {@link RedisStreamsDispatcher}. The settings are the program's own (the {@link Worker} checks its
     * command-line options as input): a bad one is an {@link IllegalArgumentException}, a null a
     * {@link NullPointerException}.
     *
     * <table>
     * <caption>Settings</caption>
     * <tr><th>setting</th><th>default</th></tr>
     * <tr><td>{@code stream}</td><td>{@code tally:work}</td></tr>
     * <tr><td>{@code group}</td><td>{@code tally-workers}</td></tr>
     * <tr><td>{@code consumer}</td><td>{@code <pid@host>-<random>}, unique per process</td></tr>
     * <tr><td>{@code claimIdle}</td><td>60 s: a dead worker's entries are taken over after this</td></tr>
     * <tr><td>{@code threads}</td><td>max(2, processors): parts run at once in this worker</td></tr>
     * <tr><td>{@code consume}</td><td>true; false for a process that only publishes</td></tr>
     * </table>
     */
    public static final class Builder {
        private final String url;
        private String stream = "tally:work";
        private String group = "tally-workers";
        private String consumer = ManagementFactory.getRuntimeMXBean().getName() + "-"
                + UUID.randomUUID().toString().substring(0, 8);
        private Duration claimIdle = Duration.ofSeconds(60);
        private int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
        private boolean consume = true;

        private Builder(String url) {
            this.url = url;
        }

        /**
         * @param stream the stream key
         * @throws NullPointerException if it is null
         * @throws IllegalArgumentException if it is blank or longer than 256 characters
         */
        public Builder stream(String stream) {
            this.stream = text("stream", stream);
            return this;
        }

        /**
         * @param group the consumer group every worker joins
         * @throws NullPointerException if it is null
         * @throws IllegalArgumentException if it is blank or longer than 256 characters
         */
        public Builder group(String group) {
            this.group = text("group", group);
            return this;
        }

        /**
         * @param consumer this worker's name in the group (must be unique among live workers)
         * @throws NullPointerException if it is null
         * @throws IllegalArgumentException if it is blank or longer than 256 characters
         */
        public Builder consumer(String consumer) {
            this.consumer = text("consumer", consumer);
            return this;
        }

        /**
         * @param idle how long an entry stays pending with a worker before another one takes it over
         * @throws NullPointerException if it is null
         * @throws IllegalArgumentException if it is shorter than 100 ms
         */
        public Builder claimIdle(Duration idle) {
            if (Objects.requireNonNull(idle, "claimIdle").toMillis() < 100) {
                throw new IllegalArgumentException("claimIdle must be at least 100 ms, was " + idle);
            }
            this.claimIdle = idle;
            return this;
        }

        /**
         * @param threads messages handled at once by this worker
         * @throws IllegalArgumentException if it is less than 1
         */
        public Builder threads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1, was " + threads);
            }
            this.threads = threads;
            return this;
        }

        /** @param consume false for a process that only publishes (it never reads the stream) */
        public Builder consume(boolean consume) {
            this.consume = consume;
            return this;
        }

        /**
         * @return the dispatcher, connected, with its group created
         * @throws DispatchException if Redis cannot be reached
         */
        public RedisStreamsDispatcher build() {
            return new RedisStreamsDispatcher(this);
        }

        private static String text(String field, String value) {
            if (Objects.requireNonNull(value, field).isBlank() || value.length() > 256) {
                throw new IllegalArgumentException(field + " must be 1–256 characters, was '" + value + "'");
            }
            return value;
        }
    }
}
