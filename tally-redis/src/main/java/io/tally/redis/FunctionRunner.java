package io.tally.redis;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.tally.OutcomeUnknownException;
import io.tally.StoreUnavailableException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Runs the store's calls of the {@link Functions} library on the store's one connection, and decides what a call that
 * got no answer does: every call fails within the store's timeout with {@link StoreUnavailableException}, and until
 * then is sent again only where that cannot apply it twice.
 *
 * <p>Retries. A call is sent again, 10 ms after the last attempt, when it failed for want of Redis (not on an error
 * reply, which is a bug, not an outage) and either its function is idempotent ({@link Functions#idempotent}: reads;
 * create, recordParts and heartbeat, whose {@link #token() tokens} or writes make a re-run answer the same) or Lettuce
 * rejected it before it left the client (disconnected). A non-idempotent call that was on the wire when the
 * connection dropped fails instead: it may or may not have been applied ({@link ClientSettings#notReplayed} keeps
 * Lettuce from re-sending it).
 *
 * <p>Record and recordParts go through the {@link WriteBatcher} (one function call for the calls of concurrent
 * callers) and answer asynchronously; every other call blocks. A blocking wait is refused on the connection's I/O
 * thread, where the reply could only come through the thread that would be waiting for it.
 */
final class FunctionRunner implements AutoCloseable {
    /** When an asynchronous write is tried again after Redis was unreachable. */
    private static final Executor RETRY_DELAY = CompletableFuture.delayedExecutor(10, TimeUnit.MILLISECONDS);

    private final StoreConnection connection;
    /** One group commit per bucket ({@link Keys.Bucket#index}): a function call's keys are all in one slot. */
    private final WriteBatcher[] writes;

    private final Duration timeout;
    private final String description;

    /** Random per store instance: tokens are unique across processes without a SecureRandom read per call. */
    private final String tokenPrefix = UUID.randomUUID() + ":";

    private final AtomicLong tokens = new AtomicLong();
    private volatile boolean closed;

    /**
     * @param connection the store's connection, its timeout set
     * @param keys the namespace's keys (each bucket's shared keys of the write function and its event channel)
     * @param clock the time each write batch is stamped with
     * @param timeout how long a call may take, retries included
     * @param description the store as exception messages name it (password masked)
     */
    FunctionRunner(StoreConnection connection, Keys keys, Clock clock, Duration timeout, String description) {
        this.connection = connection;
        this.timeout = timeout;
        this.description = description;
        this.writes = keys.buckets().stream()
                .map(b -> new WriteBatcher(
                        connection, b.writeShared(), b.writeFinishing(), b.channelArgument(), clock::millis))
                .toArray(WriteBatcher[]::new);
    }

    /**
     * Loads the library into the server ({@code FUNCTION LOAD REPLACE}; {@link Functions#call} loads it again when
     * the server loses it).
     *
     * @throws StoreUnavailableException if the server is older than Redis 7.0, which has no Functions
     * @throws RedisException if the server did not take the library
     */
    void loadLibrary() {
        requireFunctions();
        awaitAnswer(Functions.load(connection).toCompletableFuture());
    }

    /** Refuses a server older than Redis 7.0, which has no Functions, with a message that says so. */
    private void requireFunctions() {
        String info = awaitAnswer(connection.async().info("server").toCompletableFuture());
        String version = info.lines()
                .filter(l -> l.startsWith("redis_version:"))
                .map(l -> l.substring("redis_version:".length()).trim())
                .findFirst()
                .orElse("");
        int major;
        try {
            major = Integer.parseInt(version.substring(0, version.indexOf('.')));
        } catch (RuntimeException e) {
            return; // (a server that does not say: FUNCTION LOAD tells)
        }
        if (major < 7) {
            throw new StoreUnavailableException(description + " runs Redis " + version
                    + "; Tally's Redis store needs Redis 7.0 or later (its operations are a Redis Function library)");
        }
    }

    /** @return a token no other call of any store will use (create's createdBy, recordParts' settle claim) */
    String token() {
        return tokenPrefix + tokens.incrementAndGet();
    }

    /** @return the group commit of record and recordParts of the first bucket, the only one on a server (for tests) */
    WriteBatcher writes() {
        return writes[0];
    }

    /**
     * Calls a function and waits for its reply, retried as the class comment says; the reply's bulk strings decoded
     * as UTF-8.
     */
    List<Object> call(Functions function, List<String> keys, List<String> args) {
        return RawReplyOutput.strings(callRaw(function, keys, args));
    }

    /** Like {@link #call}, for a reply with binary values: its bulk strings come back as byte[]. */
    List<Object> callRaw(Functions function, List<String> keys, List<String> args) {
        return withRetry(
                function.name(),
                () -> {
                    return awaitAnswer(
                            function.call(connection, function.args(keys, args)).toCompletableFuture());
                },
                function.idempotent);
    }

    /**
     * Calls a read-only function once per list of keys (one per bucket), every call sent before the first reply is
     * awaited, so a Cluster's masters answer theirs in parallel; retried like one idempotent call.
     *
     * @return each call's reply, in the order of {@code keys}, bulk strings decoded as UTF-8
     */
    List<List<Object>> callEach(Functions function, List<List<String>> keys, List<String> args) {
        if (!function.idempotent) {
            throw new IllegalArgumentException(function + " is not idempotent");
        }
        return withRetry(
                function.name(),
                () -> {
                    List<CompletableFuture<List<Object>>> replies = new ArrayList<>(keys.size());
                    for (List<String> k : keys) {
                        replies.add(function.call(connection, function.args(k, args))
                                .toCompletableFuture());
                    }
                    List<List<Object>> out = new ArrayList<>(keys.size());
                    for (CompletableFuture<List<Object>> r : replies) {
                        out.add(RawReplyOutput.strings(awaitReply(r)));
                    }
                    return out;
                },
                true);
    }

    /**
     * Runs a record or recordParts call through its bucket's {@link WriteBatcher}: alone, or in one function call with
     * the calls of others on that bucket's jobs that queued meanwhile; retried as the class comment says, within the
     * store's timeout from now.
     *
     * @param bucket the bucket of the call's job
     * @param idempotent whether the call may be sent again after a lost connection (recordParts: by its token; the
     *     write function is not idempotent as a whole, so this is the call's own)
     * @return the call's reply, decoded; failed with {@link StoreUnavailableException} after the timeout
     */
    CompletableFuture<List<Object>> write(String what, Keys.Bucket bucket, WriteBatcher.Call call, boolean idempotent) {
        return write(what, writes[bucket.index], call, idempotent, System.nanoTime() + timeout.toNanos());
    }

    /** One attempt of {@link #write(String, Keys.Bucket, WriteBatcher.Call, boolean)}, and the next until {@code deadline}. */
    private CompletableFuture<List<Object>> write(
            String what, WriteBatcher writes, WriteBatcher.Call call, boolean idempotent, long deadline) {
        if (closed) {
            return CompletableFuture.failedFuture(new StoreUnavailableException(description + " is closed"));
        }
        WriteBatcher.Call c = call.again(); // (a call is answered once: each attempt is a new one)
        // (orTimeout completes the call's own future: a reply that comes later is then dropped)
        return writes.submit(c)
                .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .handle((reply, failure) -> {
                    if (failure == null) {
                        return CompletableFuture.completedFuture(RawReplyOutput.strings(reply));
                    }
                    RedisException e = redisException(failure);
                    // Timed out still in the queue: never sent.
                    boolean unsent = neverSent(e) || (e.getCause() instanceof TimeoutException && writes.withdraw(c));
                    if (!retryable(e, idempotent || unsent) || System.nanoTime() - deadline > 0 || closed) {
                        return CompletableFuture.<List<Object>>failedFuture(
                                unsent || isServerError(e) ? unavailable(what, e) : outcomeUnknown(what, e));
                    }
                    return CompletableFuture.runAsync(() -> {}, RETRY_DELAY)
                            .thenCompose(x -> write(what, writes, call, idempotent, deadline));
                })
                .thenCompose(stage -> stage);
    }

    /**
     * Reads several hashes in one pipelined round trip of plain {@code HGETALL}s (no function: the caller re-checks
     * what it reads); retried like an idempotent call.
     *
     * @return each hash, empty where the key does not exist
     */
    List<Map<String, String>> hashes(List<String> keys) {
        return withRetry(
                "read",
                () -> {
                    RedisClusterAsyncCommands<String, String> async = connection.async();
                    List<RedisFuture<Map<String, String>>> futures = new ArrayList<>(keys.size());
                    for (String key : keys) {
                        futures.add(async.hgetall(key));
                    }
                    List<Map<String, String>> out = new ArrayList<>(keys.size());
                    for (RedisFuture<Map<String, String>> f : futures) {
                        Map<String, String> h = awaitReply(f);
                        out.add(h == null ? Map.of() : h);
                    }
                    return out;
                },
                true);
    }

    /**
     * Waits for an answer: the store's {@link io.tally.store.JobStore#await}. A call gives up by itself within the
     * timeout; twice that only bounds a wait for a lost answer.
     *
     * @throws IllegalStateException on the connection's I/O thread
     */
    <T> T awaitAnswer(CompletableFuture<T> answer) {
        refuseOnIoThread();
        try {
            return answer.get(2 * timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException("interrupted waiting for " + description, e);
        } catch (ExecutionException e) {
            Throwable cause = WriteBatcher.unwrap(e.getCause());
            throw cause instanceof RuntimeException re
                    ? re
                    : new StoreUnavailableException(description + " failed: " + cause, cause);
        } catch (TimeoutException e) {
            throw new StoreUnavailableException(description + " did not answer within " + timeout.multipliedBy(2), e);
        }
    }

    /** Waits for one command's reply within the timeout; a failure comes as the {@link RedisException} to retry on. */
    private <T> T awaitReply(Future<T> f) {
        refuseOnIoThread();
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException("interrupted waiting for " + description, e);
        } catch (ExecutionException e) {
            throw redisException(e.getCause());
        } catch (TimeoutException e) {
            throw redisException(e);
        }
    }

    /** Refuses a blocking wait on the connection's I/O thread, where the reply could only come through itself. */
    private void refuseOnIoThread() {
        if (RawReplyOutput.onIoThread()) {
            throw new IllegalStateException("a blocking call on " + description + "'s I/O thread (in a callback of"
                    + " an ...Async call) would wait for its own reply; chain it with thenApplyAsync(..., executor)"
                    + " or similar");
        }
    }

    /** @return a failed call's cause as the RedisException the blocking calls see (see {@link #awaitAnswer}) */
    private RedisException redisException(Throwable failure) {
        Throwable cause = WriteBatcher.unwrap(failure);
        if (cause instanceof RedisException re) {
            return re;
        }
        if (cause instanceof TimeoutException) {
            return new RedisException("command timed out after " + timeout, cause);
        }
        return new RedisException(String.valueOf(cause), cause);
    }

    /** Runs {@code op}, sending it again within the timeout while {@link #retryable}. */
    private <T> T withRetry(String what, Supplier<T> op, boolean idempotent) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (closed) {
                throw new StoreUnavailableException(description + " is closed");
            }
            try {
                return op.get();
            } catch (RedisException e) {
                if (!retryable(e, idempotent) || System.nanoTime() - deadline > 0) {
                    throw unavailable(what, e);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
        }
    }

    /**
     * Whether a failed call may be sent again, nothing being applied twice: any failure but a server error of an
     * idempotent call, and of any other only when the command never left the client.
     */
    private static boolean retryable(RedisException e, boolean idempotent) {
        return !isServerError(e) && (idempotent || neverSent(e));
    }

    /** Lettuce's rejection of a command while disconnected: it never left the client. */
    private static boolean neverSent(RedisException e) {
        return e.getMessage() != null && e.getMessage().startsWith("Currently not connected");
    }

    /** A reply error from the server (a bug, not an outage): never retried. */
    private static boolean isServerError(RedisException e) {
        return e instanceof RedisCommandExecutionException;
    }

    /** @return the exception a caller gets for a call that Redis did not answer (or answered with an error) */
    StoreUnavailableException unavailable(String what, RedisException e) {
        return new StoreUnavailableException(
                what.toLowerCase(Locale.ROOT) + " failed on " + description + ": " + e.getMessage(), e);
    }

    /** @return the exception for a write that was sent and not answered: it may or may not have been applied */
    private OutcomeUnknownException outcomeUnknown(String what, RedisException e) {
        return new OutcomeUnknownException(
                what.toLowerCase(Locale.ROOT) + " was sent to " + description + " and not answered (" + e.getMessage()
                        + "): it may or may not have been applied",
                e);
    }

    /** Fails every later call at once and closes the connection. */
    @Override
    public void close() {
        closed = true;
        connection.close();
    }
}
