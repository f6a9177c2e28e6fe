package io.tally.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.tally.FailureReason;
import io.tally.InvalidInputException;
import io.tally.JobNotFoundException;
import io.tally.JobQuery;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.Page;
import io.tally.StoreUnavailableException;
import io.tally.internal.Urls;
import io.tally.store.JobRecord;
import io.tally.store.JobStats;
import io.tally.store.JobStore;
import io.tally.store.LogEntry;
import io.tally.store.NewJob;
import io.tally.store.PartStatus;
import io.tally.store.PartUpdate;
import io.tally.store.PartsOutcome;
import io.tally.store.ProgressUpdate;
import io.tally.store.RecordedProgress;
import io.tally.store.StoreEvent;
import io.tally.store.StoredItem;
import io.tally.store.SweepKind;
import io.tally.store.Transition;
import io.tally.store.TransitionResult;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The Redis store ({@code redis://}, {@code rediss://}, {@code redis-sentinel://}, and {@code redis-cluster://} on a
 * Redis Cluster) on Lettuce: the mapping of the store SPI onto the functions of one Redis Function library ({@link
 * Functions}; the Lua lives in {@code src/main/resources/io/tally/redis/lua}). Each operation is one function call, so it is one atomic step in Redis: the
 * guards read the stored job hash inside the function, and a write changes the hash, moves the job between indexes,
 * updates the due sets and publishes its events (when someone listens) in the same call.
 *
 * <p>This class names the keys of each call ({@link Keys}: computed here, never inside Lua, so every call is
 * single-slot on Redis Cluster), lays out its arguments (with the time as {@code clock.millis()}, so the injected clock
 * rules; {@link WriteArgs} for record and recordParts), and turns the reply into the SPI's answer or exception ({@link
 * Replies}). Sending, retrying and waiting are {@link FunctionRunner}'s, the group commit of record and recordParts is
 * {@link WriteBatcher}'s, events are {@link RedisEvents}'. The key layout is in {@link Keys}; the job hash's fields
 * and what each function does are in the module's README.
 *
 * <p>On a Cluster a namespace's jobs are spread over buckets ({@link Keys}), each job whole in one, so each operation on
 * a job is still one function call on one shard; listings, stats and sweeps ask every bucket and merge the
 * answers ({@link NamespaceReads}).
 *
 * <p>Delete, retention and expire first read the job, to name the keys of its name/scope/parent indexes (or the lapsed
 * time in the error message); the function re-checks what was read and the caller reads again if it changed.
 */
public final class RedisJobStore implements JobStore {
    /** Default namespace. */
    public static final String DEFAULT_NAMESPACE = "tally";
    /** Default operation timeout. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    /** Default number of buckets of a namespace created on a Cluster (docs: how to choose it). */
    public static final int DEFAULT_CLUSTER_BUCKETS = 64;

    private final AbstractRedisClient client;
    private final boolean ownsClient;
    private final Clock clock;
    private final Keys keys;
    private final String description;
    private final FunctionRunner functions;
    private final RedisEvents events;
    private final NamespaceReads reads;

    /** Bytes of the parts bitfield read per round trip when listing parts: 65,536 parts. */
    private static final int PARTS_SLICE_BYTES = 16_384;

    private volatile boolean closed;

    private RedisJobStore(Builder b) {
        this.clock = b.clock;
        boolean cluster = b.clusterClient != null || b.clusterUris != null;
        String namespace = b.namespace;
        if (b.client != null || b.clusterClient != null) {
            this.client = b.client != null ? b.client : b.clusterClient;
            this.ownsClient = false;
            this.description =
                    "redis" + (cluster ? " cluster" : "") + " (application client, namespace " + namespace + ")";
        } else {
            this.client = cluster
                    ? ClientSettings.createCluster(b.clusterUris, namespace, b.timeout)
                    : ClientSettings.create(b.uri, namespace, b.timeout);
            this.ownsClient = true;
            this.description = Urls.mask(b.url);
        }
        StoreConnection.Opened connected;
        try {
            connected = cluster
                    ? StoreConnection.open((RedisClusterClient) client, b.namespace, b.buckets, b.timeout)
                    : StoreConnection.open((RedisClient) client, b.namespace, b.timeout);
        } catch (RuntimeException e) {
            if (ownsClient) {
                client.shutdown();
            }
            throw e instanceof RedisException
                    ? new StoreUnavailableException("cannot connect to " + description + ": " + e.getMessage(), e)
                    : e;
        }
        this.keys = connected.keys();
        StoreConnection connection = connected.connection();
        this.functions = new FunctionRunner(connection, keys, clock, b.timeout, description);
        this.reads = new NamespaceReads(keys, functions);
        this.events = cluster
                ? RedisEvents.onCluster(
                        (RedisClusterClient) client,
                        keys.buckets().stream().map(Keys.Bucket::channel).toList(),
                        b.timeout,
                        this::find)
                : RedisEvents.onServer(
                        (RedisClient) client, keys.buckets().get(0).channel(), b.timeout, this::find);
        try {
            functions.loadLibrary();
        } catch (RedisException e) {
            close();
            throw new StoreUnavailableException(
                    "cannot load Tally's functions into " + description + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** @return a builder for a store on the application's own {@link RedisClient} */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the namespace of this store's keys */
    public String namespace() {
        return keys.namespace();
    }

    @Override
    public Clock clock() {
        return clock;
    }

    private long now() {
        return clock.millis();
    }

    /** @return the group commit of record and recordParts (for tests) */
    WriteBatcher writes() {
        return functions.writes();
    }

    // ---- writes ------------------------------------------------------------------------------------------------

    @Override
    public JobRecord create(NewJob j) {
        long now = now();
        String id = j.id();
        Keys.Bucket b = keys.bucketOf(id);
        List<String> k = b.indexed(id, j.name(), j.scope(), j.parent());
        k.add(b.payloads(id));
        List<String> fields = Records.fields(j, now);
        List<String> a = new ArrayList<>(6 + fields.size() + j.partPayloads().size());
        a.add(b.channelArgument());
        a.add(j.scope() == null ? "0" : "1");
        a.add(j.parent() == null ? "0" : "1");
        a.add(functions.token());
        a.add(Integer.toString(fields.size()));
        a.addAll(fields);
        a.addAll(j.partPayloads());
        return Replies.created(id, call(Functions.CREATE, k, a));
    }

    @Override
    public Optional<JobRecord> find(String id) {
        List<Object> r = call(Functions.FIND, List.of(keys.bucketOf(id).job(id)), List.of());
        return r.isEmpty() ? Optional.empty() : Optional.of(Replies.job(r, 0));
    }

    @Override
    public CompletableFuture<RecordedProgress> record(String id, ProgressUpdate u) {
        // Not retried once sent: increments are not idempotent (the exception says it may or may not have been
        // applied).
        Keys.Bucket b = keys.bucketOf(id);
        return functions
                .write("record", b, WriteArgs.record(b.items(id), u), false)
                .thenApply(r -> Replies.progress(id, r));
    }

    @Override
    public CompletableFuture<PartsOutcome> recordParts(String id, List<PartUpdate> parts) {
        // Retried within the timeout: idempotent per part, and the token makes a re-run of the settling call say last.
        Keys.Bucket b = keys.bucketOf(id);
        List<String> k = List.of(b.job(id), b.parts(id), b.partErrors(id));
        return functions
                .write("recordParts", b, WriteArgs.parts(k, functions.token(), parts), true)
                .thenApply(r -> Replies.partsOutcome(id, r));
    }

    /**
     * Waits for an answer within the store's timeout. Refused at once on the connection's I/O thread (in a callback
     * of an asynchronous call), where the reply could only come through the thread that would be waiting for it.
     */
    @Override
    public <T> T await(CompletableFuture<T> answer) {
        return functions.awaitAnswer(answer);
    }

    @Override
    public TransitionResult transition(String id, Transition t) {
        if (t instanceof Transition.Move move) {
            return move(id, move);
        }
        if (t instanceof Transition.Heartbeat) {
            return new TransitionResult(heartbeat(id), true);
        }
        SweepKind kind = ((Transition.Expire) t).kind();
        return expire(id, kind)
                .map(r -> new TransitionResult(r, true))
                .orElseGet(() -> new TransitionResult(find(id).orElseThrow(() -> new JobNotFoundException(id)), false));
    }

    private TransitionResult move(String id, Transition.Move t) {
        List<String> a = new ArrayList<>(13);
        a.add(Long.toString(now()));
        Keys.Bucket b = keys.bucketOf(id);
        a.add(b.channelArgument());
        a.add(t.target().name());
        a.add(JobState.sourcesOf(t.target()).stream().map(Enum::name).collect(Collectors.joining(",")));
        a.add(t.resultJson() == null ? "0" : "1");
        a.add(Objects.requireNonNullElse(t.resultJson(), ""));
        a.add(t.error() == null ? "0" : "1");
        a.add(t.error() == null ? "" : t.error().message());
        a.add(t.error() == null || t.error().type() == null ? "0" : "1");
        a.add(t.error() == null ? "" : Objects.requireNonNullElse(t.error().type(), ""));
        a.add(t.error() == null || t.error().stack() == null ? "0" : "1");
        a.add(t.error() == null ? "" : Objects.requireNonNullElse(t.error().stack(), ""));
        a.add(t.error() == null ? "" : t.error().reason().code());
        return Replies.moved(id, t, call(Functions.TRANSITION, b.common(id), a));
    }

    private JobRecord heartbeat(String id) {
        return Replies.heartbeat(
                id, call(Functions.HEARTBEAT, keys.bucketOf(id).common(id), List.of(Long.toString(now()))));
    }

    // ---- reads -------------------------------------------------------------------------------------------------

    @Override
    public Page<JobRecord> query(JobQuery q) {
        return reads.page(q);
    }

    @Override
    public JobStats stats(String root) {
        return reads.stats(root);
    }

    @Override
    public Page<StoredItem> items(String id, Outcome outcome, String afterKey, int limit) {
        List<String> k = keys.bucketOf(id).items(id);
        List<String> a = List.of(
                outcome == null ? "" : outcome == Outcome.SUCCESS ? "S" : "F",
                afterKey == null ? "" : afterKey,
                afterKey == null ? "0" : "1",
                Integer.toString(limit));
        return Replies.items(id, call(Functions.ITEMS, k, a), limit);
    }

    @Override
    public List<Integer> parts(String id, PartStatus status, int after, int limit) {
        Keys.Bucket bucket = keys.bucketOf(id);
        // The bitfield is read in slices (each with the job's part count, in one script call) and decoded here:
        // a page of pending parts near the end of a big job skips the done ones at 4 parts per byte.
        List<Integer> out = new ArrayList<>(Math.min(limit, 1024));
        long from = Math.max(0L, (long) after + 1); // long: 'after' may be Integer.MAX_VALUE
        while (out.size() < limit) {
            long firstByte = from / 4;
            List<Object> r = functions.callRaw(
                    Functions.PARTS,
                    List.of(bucket.job(id), bucket.parts(id)),
                    List.of(Long.toString(firstByte), Long.toString(firstByte + PARTS_SLICE_BYTES - 1)));
            if (r.get(0) instanceof byte[] b && "notfound".equals(new String(b, StandardCharsets.UTF_8))) {
                throw new JobNotFoundException(id);
            }
            long parts = (Long) r.get(0);
            byte[] slice = (byte[]) r.get(1);
            long end = Math.min(parts, (firstByte + PARTS_SLICE_BYTES) * 4);
            for (long p = from; p < end && out.size() < limit; p++) {
                if (PartBits.status(slice, (int) (p - firstByte * 4)) == status) {
                    out.add((int) p);
                }
            }
            if (end >= parts) {
                break;
            }
            from = end;
        }
        return out;
    }

    @Override
    public Optional<String> partPayload(String id, int part) {
        Keys.Bucket b = keys.bucketOf(id);
        List<Object> r = call(Functions.PAYLOAD, List.of(b.job(id), b.payloads(id)), List.of(Integer.toString(part)));
        return Replies.payload(id, part, r);
    }

    @Override
    public void appendLogs(String id, List<LogEntry> entries) {
        List<String> a = new ArrayList<>(entries.size());
        for (LogEntry e : entries) {
            a.add(LogJson.encode(e));
        }
        if (a.isEmpty()) {
            if (find(id).isEmpty()) {
                throw new JobNotFoundException(id);
            }
            return;
        }
        Keys.Bucket b = keys.bucketOf(id);
        List<Object> r = call(Functions.APPEND_LOGS, List.of(b.job(id), b.logs(id)), a);
        if ("notfound".equals(r.get(0))) {
            throw new JobNotFoundException(id);
        }
    }

    @Override
    public List<LogEntry> logs(String id, long afterSeq, int limit) {
        Keys.Bucket b = keys.bucketOf(id);
        long from = Math.max(0, afterSeq);
        List<Object> r = call(
                Functions.LOGS, List.of(b.job(id), b.logs(id)), List.of(Long.toString(from), Integer.toString(limit)));
        return Replies.logs(id, from, r);
    }

    /** @return epoch millis, saturated for instants beyond the range of a long (Instant.MAX, MIN) */
    private static long millis(Instant t) {
        try {
            return t.toEpochMilli();
        } catch (ArithmeticException e) {
            return t.isBefore(Instant.EPOCH) ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    // ---- sweeping ----------------------------------------------------------------------------------------------

    @Override
    public List<String> sweepCandidates(SweepKind kind, Instant now, int limit) {
        return reads.sweepCandidates(kind, millis(now), limit);
    }

    /** @return the job after the expiry (before it, for a retention: deleted), or empty if it was not due */
    private Optional<JobRecord> expire(String id, SweepKind kind) {
        return callOnJobAsRead(id, "expiring", r -> kind == SweepKind.RETENTION ? remove(r, true) : fail(r, kind))
                .filter(out -> !"none".equals(Replies.status(out)))
                .map(out -> Replies.job(out, 1));
    }

    @Override
    public boolean delete(String id) {
        return callOnJobAsRead(id, "deleting", r -> remove(r, false))
                .filter(out -> !"none".equals(Replies.status(out)))
                .isPresent();
    }

    /**
     * Runs a call made from the job as read (the keys of its name, scope and parent indexes; the lapsed time the
     * error names), reading it again while the function answers {@code stale}: the job changed in between.
     *
     * @return the function's reply; empty if the job is gone
     */
    private Optional<List<Object>> callOnJobAsRead(String id, String doing, Function<JobRecord, List<Object>> call) {
        for (int attempt = 0; attempt < 16; attempt++) {
            Optional<JobRecord> found = find(id);
            if (found.isEmpty()) {
                return Optional.empty();
            }
            List<Object> out = call.apply(found.get());
            if (!"stale".equals(Replies.status(out))) {
                return Optional.of(out);
            }
        }
        throw new StoreUnavailableException("job " + id + " kept changing while " + doing + " it in " + description);
    }

    /** Fails a job whose lease (STALLED) or deadline (TIMEOUT) lapsed, as read. */
    private List<Object> fail(JobRecord r, SweepKind kind) {
        Keys.Bucket b = keys.bucketOf(r.id());
        Instant at = kind == SweepKind.STALLED ? r.leaseUntil() : r.deadline();
        String message = kind == SweepKind.STALLED ? "heartbeat lease lapsed at " + at : "deadline passed at " + at;
        List<String> a = List.of(
                Long.toString(now()),
                b.channelArgument(),
                kind.name(),
                at == null ? "" : Long.toString(at.toEpochMilli()),
                message,
                kind == SweepKind.STALLED ? FailureReason.STALLED.code() : FailureReason.TIMEOUT.code());
        return call(Functions.EXPIRE, b.common(r.id()), a);
    }

    private List<Object> remove(JobRecord r, boolean retention) {
        String id = r.id();
        Keys.Bucket b = keys.bucketOf(id);
        List<String> k = b.indexed(id, r.name(), r.scope(), r.parent());
        k.addAll(b.owned(id));
        List<String> a = List.of(
                Long.toString(now()),
                b.channelArgument(),
                retention ? "1" : "0",
                r.name(),
                r.scope() == null ? "0" : "1",
                Objects.requireNonNullElse(r.scope(), ""),
                r.parent() == null ? "0" : "1",
                Objects.requireNonNullElse(r.parent(), ""));
        return call(Functions.DELETE, k, a);
    }

    // ---- events ------------------------------------------------------------------------------------------------

    /** Listeners hear every write of the namespace, other processes' included (see {@link RedisEvents}). */
    @Override
    public AutoCloseable subscribe(Consumer<StoreEvent> listener) {
        Objects.requireNonNull(listener, "listener");
        try {
            return events.subscribe(listener);
        } catch (RedisException e) {
            throw functions.unavailable("subscribe", e);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        events.close();
        functions.close();
        if (ownsClient) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    @Override
    public String toString() {
        return "RedisJobStore{" + description + ", namespace=" + keys.namespace() + ", buckets="
                + keys.buckets().size() + "}";
    }

    private List<Object> call(Functions function, List<String> k, List<String> a) {
        return functions.call(function, k, a);
    }

    // ---- builder -----------------------------------------------------------------------------------------------

    /**
     * Builds a {@link RedisJobStore}. Either {@link #client(RedisClient)} (the application's own client, which the
     * store uses but never shuts down) or, through {@link RedisJobStoreProvider}, a URL.
     *
     * <table>
     *   <caption>Settings</caption>
     *   <tr><th>setting</th><th>default</th></tr>
     *   <tr><td>namespace</td><td>{@value RedisJobStore#DEFAULT_NAMESPACE}</td></tr>
     *   <tr><td>clock</td><td>{@link Clock#systemUTC()}</td></tr>
     *   <tr><td>timeout</td><td>5 s: operations fail with {@link StoreUnavailableException} after it</td></tr>
     * </table>
     */
    public static final class Builder {
        private RedisClient client;
        private RedisClusterClient clusterClient;
        private RedisURI uri;
        private List<RedisURI> clusterUris;
        private Integer buckets;
        private String url;
        private String namespace = DEFAULT_NAMESPACE;
        private Clock clock = Clock.systemUTC();
        private Duration timeout = DEFAULT_TIMEOUT;

        private Builder() {}

        /**
         * @param client the application's client, connected with its own default URI and options (the store does not
         *     shut it down)
         */
        public Builder client(RedisClient client) {
            this.client = Objects.requireNonNull(client, "client");
            return this;
        }

        /**
         * A store on a Redis Cluster, on the application's own client: the namespace's jobs spread over its {@link
         * #buckets buckets}, and so over the Cluster's masters.
         *
         * @param client the application's Cluster client, with its seed nodes and options (the store does not shut it
         *     down)
         */
        public Builder clusterClient(RedisClusterClient client) {
            this.clusterClient = Objects.requireNonNull(client, "client");
            return this;
        }

        /**
         * The number of buckets a namespace created on a Cluster is spread over (default {@value
         * RedisJobStore#DEFAULT_CLUSTER_BUCKETS}). It is stored in the namespace when it is created and fixed from
         * then on: a store asking for another number of an existing namespace is refused. The tally-redis README says
         * how to choose it.
         *
         * @param buckets 1 to 16,384
         */
        public Builder buckets(int buckets) {
            this.buckets = Keys.checkBuckets(buckets);
            return this;
        }

        /** Used by the provider: a client the store creates and owns. */
        Builder uri(RedisURI uri, String url) {
            this.uri = uri;
            this.url = url;
            return this;
        }

        /** Used by the provider: a Cluster client of these seed nodes that the store creates and owns. */
        Builder clusterUris(List<RedisURI> uris, String url) {
            this.clusterUris = List.copyOf(uris);
            this.url = url;
            return this;
        }

        /** @param namespace key prefix and hash tag: 1-64 of letters, digits, '.', '_', '-' */
        public Builder namespace(String namespace) {
            this.namespace = Keys.checkNamespace(namespace);
            return this;
        }

        /** @param clock the clock every write takes its time from */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** @param timeout how long an operation may wait for Redis before failing (positive) */
        public Builder timeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new InvalidInputException("timeout", "must be positive, was " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /**
         * @return the store, connected
         * @throws StoreUnavailableException if Redis cannot be reached
         */
        public RedisJobStore build() {
            if (client == null && uri == null && clusterClient == null && clusterUris == null) {
                throw new InvalidInputException("client", "a RedisClient or a RedisClusterClient is required");
            }
            if (buckets != null && clusterClient == null && clusterUris == null) {
                throw new InvalidInputException("buckets", "only a store on a Redis Cluster has buckets");
            }
            return new RedisJobStore(this);
        }
    }
}
