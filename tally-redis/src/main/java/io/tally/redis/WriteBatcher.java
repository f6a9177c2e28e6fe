package io.tally.redis;

import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.CommandArgs;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Group commit for the hot writes: the record and recordParts calls of concurrent callers go to Redis together, as one
 * script call ({@code hot.lua}, then {@code write.lua} for the calls hot.lua does not take), instead of one each.
 *
 * <p>Why: a script call costs Redis fixed work (the call, defining the script's helpers, reading the job) before the
 * first item is counted, so one call per part caps a job near the server's script-call rate. Calls that arrive while
 * earlier ones are on the wire wait in a queue and then go in one script call that applies them in order, each with its
 * own guards, and answers each with what it would have answered alone — the settle included, so {@code last} still
 * goes to exactly one call. A lone caller is sent at once: batching never waits for company, it only
 * takes what queued up during the previous round trip.
 *
 * <p>At most {@link #MAX_IN_FLIGHT} script calls are in flight; a batch takes at most {@link #MAX_CALLS} calls and
 * {@link #MAX_ITEMS} items or parts (a bigger call goes alone).
 */
final class WriteBatcher {
    /**
     * Script calls in flight at once: while some replies travel back and their callers send again, the others keep
     * Redis busy. Four rather than two since hot.lua made a script call's fixed cost small next to its calls' own: in
     * an A/B of 16 in flight (docs/benchmarks.md) asynchronous part completions went from 59,000 to 84,000/s (medians
     * of 3), blocking keyed records from 30,600 to 26,400/s (smaller batches).
     */
    static final int MAX_IN_FLIGHT = Integer.getInteger("tally.redis.inFlight", 4);
    /** Calls per batch. */
    static final int MAX_CALLS = 256;
    /** Items and parts per batch (a call with more is sent alone). */
    static final int MAX_ITEMS = 4096;

    /**
     * What a call does, see write.lua: record ({@code 'r'}, 4 keys), record answered with the progress only ({@code
     * 'b'}, 4 keys), recordParts ({@code 'p'}, 3 keys) or recordParts answered without the job ({@code 'q'}, 3 keys).
     */
    enum Kind {
        RECORD("r", 4, 0),
        RECORD_BRIEF("b", 4, 1),
        PARTS("p", 3, 0),
        PARTS_BRIEF("q", 3, 2);

        final String code;
        final int keys;
        /** The code of a call with the same keys as the call before it in a batch: sent without them. */
        final String sameKeysCode;
        /**
         * How many of the call's first arguments hot.lua has no use for and is sent without: 'known' and the token
         * (each a few dozen bytes that Redis would parse and turn into a Lua string for nothing).
         */
        final int unusedByHot;

        Kind(String code, int keys, int unusedByHot) {
            this.code = code;
            this.keys = keys;
            this.sameKeysCode = "=" + code;
            this.unusedByHot = unusedByHot;
        }
    }

    /**
     * One caller's call: its own keys (job hash first) and arguments, and where its reply goes (as filled by
     * {@link RawReplyOutput}: bulk strings as bytes).
     */
    static final class Call {
        final Kind kind;
        /** The job hash's key: calls are grouped by it. */
        final String job;

        final int items;
        /**
         * Whether hot.lua may take the call: a brief record with at most one item, or brief part completions without
         * failJob (whether it does depends on the job, see hot.lua). A batch that starts with one goes there first.
         */
        final boolean mayGoHot;
        /**
         * Whether the call is a brief record of one item and nothing else (recordSuccess(key), recordFailure(key)):
         * hot.lua is sent its item's key and value alone, as an {@code 'i'} call.
         */
        final boolean itemOnly;
        /**
         * The keys ({@link Kind#keys} of them) and then the arguments, as UTF-8, encoded by the calling thread rather
         * than the connection's one thread.
         */
        final byte[][] encoded;

        final CompletableFuture<List<Object>> reply = new CompletableFuture<>();

        Call(Kind kind, List<String> keys, List<String> args, int items) {
            if (keys.size() != kind.keys) {
                throw new IllegalArgumentException(kind + " takes " + kind.keys + " keys, got " + keys.size());
            }
            this.kind = kind;
            this.job = keys.get(0);
            this.items = items;
            this.mayGoHot = switch (kind) {
                case RECORD_BRIEF -> items <= 1;
                case PARTS_BRIEF -> !failsJob(args);
                default -> false;
            };
            // (a record's arguments: known, succeeded, failed, addTotal, hasMessage, message, n, key, value, ...)
            this.itemOnly = kind == Kind.RECORD_BRIEF
                    && args.size() == 9
                    && args.subList(1, 5).equals(NO_COUNTS)
                    && "1".equals(args.get(6));
            this.encoded = new byte[keys.size() + args.size()][];
            int i = 0;
            for (String k : keys) {
                encoded[i++] = utf8(k);
            }
            for (String a : args) {
                encoded[i++] = utf8(a);
            }
        }

        private static final List<String> NO_COUNTS = List.of("0", "0", "0", "0");

        /** @param args a recordParts call's: token, known, n, then (part, value, failJob) triples */
        private static boolean failsJob(List<String> args) {
            for (int i = 5; i < args.size(); i += 3) {
                if ("1".equals(args.get(i))) {
                    return true;
                }
            }
            return false;
        }
    }

    private final StatefulRedisConnection<String, String> connection;
    /** KEYS 1-9 of write.lua. */
    private final byte[][] sharedKeys;
    /** KEYS 1 of hot.lua: the only shared key it writes, due:lease (write.lua's KEYS 7). */
    private final byte[][] hotSharedKeys;

    private final String channel;
    private final LongSupplier now;
    private final ConcurrentLinkedDeque<Call> queue = new ConcurrentLinkedDeque<>();
    private final AtomicInteger inFlight = new AtomicInteger();

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    /**
     * @param sharedKeys KEYS 1-9 of write.lua: the six state indexes and the three due sets
     * @param leaseKey the due:lease set, KEYS 1 of hot.lua
     * @param now the time each batch is stamped with
     */
    WriteBatcher(
            StatefulRedisConnection<String, String> connection,
            List<String> sharedKeys,
            String leaseKey,
            String channel,
            LongSupplier now) {
        this.connection = connection;
        this.sharedKeys = sharedKeys.stream().map(WriteBatcher::utf8).toArray(byte[][]::new);
        this.hotSharedKeys = new byte[][] {utf8(leaseKey)};
        this.channel = channel;
        this.now = now;
    }

    /** Queues a call and sends it, alone or with others; its reply completes {@link Call#reply}. */
    CompletableFuture<List<Object>> submit(Call call) {
        queue.add(call);
        sendQueued();
        return call.reply;
    }

    /** @return script calls sent and not answered yet */
    int inFlight() {
        return inFlight.get();
    }

    /** @return calls waiting for a script call in flight to return */
    int queued() {
        return queue.size();
    }

    /** Takes a call out of the queue if it has not been sent yet. */
    boolean withdraw(Call call) {
        return queue.remove(call);
    }

    private void sendQueued() {
        while (!queue.isEmpty()) {
            int n = inFlight.get();
            if (n >= MAX_IN_FLIGHT) {
                return; // the completion of a batch in flight sends what is queued
            }
            if (!inFlight.compareAndSet(n, n + 1)) {
                continue;
            }
            List<Call> batch = drain();
            if (batch.isEmpty()) {
                inFlight.decrementAndGet();
                continue;
            }
            run(batch).whenComplete((done, failure) -> {
                // The slot is freed after the answers: an asynchronous caller that sends its next call from its
                // callback (on this thread) queues it, and it goes with the others queued rather than alone.
                inFlight.decrementAndGet();
                sendQueued();
            });
        }
    }

    /**
     * Sends a batch and answers each of its calls. A batch that starts with a call hot.lua may take goes there first:
     * hot.lua applies the calls it takes, in order, up to the first it does not take, and write.lua the rest.
     */
    private CompletionStage<Void> run(List<Call> batch) {
        if (!batch.get(0).mayGoHot) {
            return sendAndAnswer(Scripts.WRITE, batch);
        }
        return send(Scripts.HOT, batch)
                .handle((replies, failure) -> {
                    try {
                        return afterHot(batch, replies, failure);
                    } catch (RuntimeException e) {
                        complete(batch, null, e); // (calls already answered keep their answers)
                        return DONE;
                    }
                })
                .thenCompose(next -> next);
    }

    /** Answers the calls hot.lua took and sends the others to write.lua. */
    private CompletionStage<Void> afterHot(List<Call> batch, List<Object> replies, Throwable failure) {
        if (failure != null) {
            complete(batch, null, failure);
            return DONE;
        }
        int taken = Math.min(replies.size(), batch.size());
        complete(batch.subList(0, taken), replies, null);
        return taken == batch.size() ? DONE : sendAndAnswer(Scripts.WRITE, batch.subList(taken, batch.size()));
    }

    private CompletionStage<Void> sendAndAnswer(Scripts script, List<Call> batch) {
        return send(script, batch).handle((replies, failure) -> {
            complete(batch, replies, failure);
            return null;
        });
    }

    /** Takes the next batch off the queue; two senders may drain at once, so a call is only ever polled, never peeked. */
    private List<Call> drain() {
        List<Call> batch = new ArrayList<>();
        int items = 0;
        Call c;
        while (batch.size() < MAX_CALLS && (c = queue.pollFirst()) != null) {
            if (!batch.isEmpty() && items + c.items > MAX_ITEMS) {
                queue.offerFirst(c); // too big for this batch: first in the next
                break;
            }
            batch.add(c);
            items += c.items;
        }
        return byJob(batch);
    }

    /**
     * The calls grouped by job, in order of each job's first call and, within a job, in queue order: write.lua then
     * reads a job once for its consecutive calls, and a run of recordParts calls shares its reads and writes. (Calls of
     * different callers are concurrent, so any order between jobs is one they could have had.)
     */
    private static List<Call> byJob(List<Call> batch) {
        if (batch.size() < 3) {
            return batch;
        }
        Map<String, List<Call>> jobs = new LinkedHashMap<>();
        for (Call c : batch) {
            jobs.computeIfAbsent(c.job, k -> new ArrayList<>(2)).add(c);
        }
        if (jobs.size() == 1 || jobs.size() == batch.size()) {
            return batch;
        }
        List<Call> grouped = new ArrayList<>(batch.size());
        jobs.values().forEach(grouped::addAll);
        return grouped;
    }

    /**
     * Sends a batch to write.lua or hot.lua (which take the same keys and arguments, but for those hot.lua has no use
     * for); a failure to send fails the returned stage, so that it is answered like any failed call.
     */
    private CompletionStage<List<Object>> send(Scripts script, List<Call> batch) {
        try {
            return script.run(connection, arguments(script, batch));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private CommandArgs<String, String> arguments(Scripts script, List<Call> batch) {
        // A call with the same keys as the call before it (same job, both record or both recordParts) goes without
        // them: write.lua reuses that call's.
        boolean[] sameKeys = new boolean[batch.size()];
        byte[][] shared = script == Scripts.HOT ? hotSharedKeys : sharedKeys;
        int keyCount = shared.length;
        for (int i = 0; i < batch.size(); i++) {
            Call c = batch.get(i);
            Call before = i > 0 ? batch.get(i - 1) : null;
            sameKeys[i] = before != null && before.kind.keys == c.kind.keys && before.job.equals(c.job);
            if (!sameKeys[i]) {
                keyCount += c.kind.keys;
            }
        }
        // EVALSHA sha numkeys KEYS... ARGV...: each call's keys, in batch order, then each call's arguments.
        CommandArgs<String, String> args = script.args().add(keyCount);
        for (byte[] k : shared) {
            args.add(k);
        }
        for (int b = 0; b < batch.size(); b++) {
            Call c = batch.get(b);
            for (int i = 0; i < c.kind.keys && !sameKeys[b]; i++) {
                args.add(c.encoded[i]);
            }
        }
        args.add(now.getAsLong()).add(channel).add(batch.size());
        for (int b = 0; b < batch.size(); b++) {
            Call c = batch.get(b);
            if (script == Scripts.HOT && c.itemOnly) {
                args.add(sameKeys[b] ? "=i" : "i")
                        .add(c.encoded[c.encoded.length - 2])
                        .add(c.encoded[c.encoded.length - 1]);
                continue;
            }
            int from = c.kind.keys + (script == Scripts.HOT ? c.kind.unusedByHot : 0);
            args.add(sameKeys[b] ? c.kind.sameKeysCode : c.kind.code).add(c.encoded.length - from);
            for (int i = from; i < c.encoded.length; i++) {
                args.add(c.encoded[i]);
            }
        }
        return args;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unchecked")
    private static void complete(List<Call> batch, List<Object> replies, Throwable failure) {
        if (failure == null && (replies == null || replies.size() != batch.size())) {
            failure = new RedisException("the script answered " + (replies == null ? "nothing" : replies.size())
                    + " replies for " + batch.size() + " calls");
        }
        for (int i = 0; i < batch.size(); i++) {
            if (failure != null) {
                batch.get(i).reply.completeExceptionally(unwrap(failure));
            } else {
                batch.get(i).reply.complete((List<Object>) replies.get(i));
            }
        }
    }

    /** @return the cause of a failure a {@link CompletableFuture} wrapped in {@link CompletionException}s */
    static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
