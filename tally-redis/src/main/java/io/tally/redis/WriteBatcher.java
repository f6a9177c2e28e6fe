package io.tally.redis;

import io.lettuce.core.RedisException;
import io.lettuce.core.protocol.CommandArgs;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.ThreadExecutorMap;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Group commit for the hot writes: the record and recordParts calls of concurrent callers go to Redis together, as one
 * call of the library's {@code write} function, instead of one each.
 *
 * <p>Why: a function call costs Redis fixed work (the call, reading the job, writing it back) before the first item
 * is counted, so one call per part caps a job near the server's call rate. Calls that arrive while earlier ones are on
 * the wire wait in a queue and then go in one function call that applies them in order, each with its own guards, and
 * answers each with what it would have answered alone — the settle included, so {@code last} still goes to exactly
 * one call. A lone caller is sent at once: batching never waits for company, it only takes what queued up during the
 * previous round trip. {@link WriteArgs} lays the batch out.
 *
 * <p>There is one per bucket of the namespace ({@link Keys.Bucket}; one on a server): a function call's keys must
 * all be in one Cluster slot, and a bucket's batches go to its master, whose connection's loop is the one learnt below.
 *
 * <p>At most {@link #MAX_IN_FLIGHT} function calls are in flight; a batch takes at most {@link #MAX_CALLS} calls and
 * {@link #MAX_ITEMS} items or parts (a bigger call goes alone).
 *
 * <p><b>Order.</b> One caller's calls are applied in the order it made them. Netty writes at once what its own
 * thread (the connection's event loop, where replies and their callbacks run) hands it, but queues what other threads
 * hand it; so a batch sent from a reply's callback would go out before one another thread had handed over just before
 * (seen: a caller's later calls applied first, in about one run in four of the kit's ordering test). Once the loop is
 * known (the first reply tells it), every batch is therefore taken off the queue and sent on the loop: inline when the
 * caller is the loop, else as a task queued behind the writes already there, so batches go out in the order they are
 * taken. Before that, the callers send themselves, taking and handing over under {@link #sending}, and the first reply
 * learns the loop under the same lock, so it queues behind whatever they handed over.
 *
 * <p><b>A server that lost the library</b> (a restart without persistence, {@code FUNCTION FLUSH}) fails every batch
 * that reaches it before the library is loaded again; none of them ran. Re-sending each one when the load answers
 * would let batches sent meanwhile pass it (seen: a caller's first call applied after its twentieth, in 38 of 200
 * rounds). So the first such failure stops the sending, loads the library, and every failed batch is sent again in
 * the order it was first sent, before anything still queued.
 */
final class WriteBatcher {
    /**
     * Function calls in flight at once: while some replies travel back and their callers send again, the others keep
     * Redis busy (docs/benchmarks.md has the measurements behind four).
     */
    static final int MAX_IN_FLIGHT = Integer.getInteger("tally.redis.inFlight", 4);
    /** Calls per batch. */
    static final int MAX_CALLS = 256;
    /** Items and parts per batch (a call with more is sent alone). */
    static final int MAX_ITEMS = 4096;

    /**
     * One caller's call, as {@link WriteArgs} encoded it (on the calling thread rather than the connection's one
     * thread): its job's keys and its arguments, and where its reply goes (as filled by {@link RawReplyOutput}: bulk
     * strings as bytes).
     */
    static final class Call {
        /** The job hash's key: calls are grouped by it. */
        final String job;
        /** Whether it is a recordParts call (else a record): the sort of run it joins. */
        final boolean parts;
        /** The job's keys, job hash first. */
        final byte[][] keys;
        /** Its kind, then its arguments. */
        final byte[][] args;

        final int items;

        final CompletableFuture<List<Object>> reply = new CompletableFuture<>();

        Call(String job, boolean parts, byte[][] keys, byte[][] args, int items) {
            this.job = job;
            this.parts = parts;
            this.keys = keys;
            this.args = args;
            this.items = items;
        }

        /** @return the same call as a new one, to send again: a call is answered once */
        Call again() {
            return new Call(job, parts, keys, args, items);
        }

        /** @return whether it goes in the run of {@code before}: the same job, the same sort of call */
        boolean sameRunAs(Call before) {
            return before.parts == parts && before.job.equals(job);
        }
    }

    private final StoreConnection connection;
    /** The keys every batch starts with ({@link WriteArgs#SHARED}). */
    private final byte[][] sharedKeys;
    /** The keys a batch with a recordParts call ends with ({@link WriteArgs#SHARED_FINISH}). */
    private final byte[][] finishingKeys;

    private final String channel;
    private final LongSupplier now;
    private final ConcurrentLinkedDeque<Call> queue = new ConcurrentLinkedDeque<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Held while a batch is taken off the queue and handed to the connection, and while the loop is learnt. */
    private final Object sending = new Object();
    /** The connection's event loop, from its first reply on; null before. */
    private volatile EventExecutor loop;
    /** While the library is loaded again: nothing is sent (under {@link #sending}). */
    private boolean reloading;
    /** The batches the server failed for want of the library, in the order they were sent (under {@link #sending}). */
    private final List<Stalled> stalled = new ArrayList<>();

    /** A batch to send again once the library is back, and what completes when it is answered. */
    private record Stalled(List<Call> batch, CompletableFuture<Void> answered) {}

    /**
     * @param sharedKeys the keys a record may touch ({@link Keys.Bucket#writeShared()}, {@link WriteArgs#SHARED})
     * @param finishingKeys the keys finishing a job touches too ({@link Keys.Bucket#writeFinishing()}, {@link
     *     WriteArgs#SHARED_FINISH})
     * @param now the time each batch is stamped with
     */
    WriteBatcher(
            StoreConnection connection,
            List<String> sharedKeys,
            List<String> finishingKeys,
            String channel,
            LongSupplier now) {
        if (sharedKeys.size() != WriteArgs.SHARED || finishingKeys.size() != WriteArgs.SHARED_FINISH) {
            throw new IllegalArgumentException("write takes " + WriteArgs.SHARED + " and " + WriteArgs.SHARED_FINISH
                    + " shared keys, got " + sharedKeys + " and " + finishingKeys);
        }
        this.connection = connection;
        this.sharedKeys = utf8(sharedKeys);
        this.finishingKeys = utf8(finishingKeys);
        this.channel = channel;
        this.now = now;
    }

    /** Queues a call and sends it, alone or with others; its reply completes {@link Call#reply}. */
    CompletableFuture<List<Object>> submit(Call call) {
        queue.add(call);
        EventExecutor l = loop;
        if (l == null) {
            synchronized (sending) {
                if (loop == null) {
                    sendQueued(); // (see "Order" above: nothing is sent on the loop yet)
                    return call.reply;
                }
            }
            l = loop;
        }
        if (l.inEventLoop()) {
            sendQueued();
        } else {
            onLoop(l);
        }
        return call.reply;
    }

    /** @return function calls sent and not answered yet */
    int inFlight() {
        return inFlight.get();
    }

    /** @return calls waiting for a function call in flight to return */
    int queued() {
        return queue.size();
    }

    /** Takes a call out of the queue if it has not been sent yet. */
    boolean withdraw(Call call) {
        return queue.remove(call);
    }

    private void sendQueued() {
        synchronized (sending) {
            while (!queue.isEmpty()) {
                if (reloading) {
                    return; // the load's answer sends the stalled batches, then what is queued
                }
                if (inFlight.get() >= MAX_IN_FLIGHT) {
                    return; // the completion of a batch in flight sends what is queued
                }
                List<Call> batch = drain();
                if (batch.isEmpty()) {
                    continue;
                }
                inFlight.incrementAndGet();
                run(batch).whenComplete((done, failure) -> {
                    // The slot is freed after the answers: an asynchronous caller that sends its next call from its
                    // callback queues it, and it goes with the others queued rather than alone.
                    inFlight.decrementAndGet();
                    afterReply();
                });
            }
        }
    }

    /**
     * Sends what queued while the reply travelled. On the loop (where replies come), learns it the first time and then
     * queues the sending behind what the callers handed over meanwhile; after that sends inline.
     */
    private void afterReply() {
        EventExecutor l = loop;
        if (l == null) {
            EventExecutor current = ThreadExecutorMap.currentExecutor();
            if (current == null) { // answered before the callback was chained: on the caller's thread
                sendQueued();
                return;
            }
            synchronized (sending) {
                loop = current;
            }
            onLoop(current);
        } else if (!queue.isEmpty()) { // (a call queued after this look is sent by its own submit)
            sendQueued();
        }
    }

    private void onLoop(EventExecutor l) {
        try {
            l.execute(this::sendQueued);
        } catch (RejectedExecutionException shutDown) {
            // the client's event loops are shutting down: the store fails what is still queued when its time is up
        }
    }

    /** Sends a batch and answers each of its calls (after the library is loaded again, if the server lost it). */
    private CompletionStage<Void> run(List<Call> batch) {
        return send(batch)
                .handle((replies, failure) -> {
                    if (failure != null && Functions.isMissing(failure)) {
                        return sendAgainOnceLoaded(batch);
                    }
                    complete(batch, replies, failure);
                    return CompletableFuture.<Void>completedFuture(null);
                })
                .thenCompose(answered -> answered);
    }

    /**
     * Keeps {@code batch}, which the server failed for want of the library, to send again once it is loaded; the
     * first one stops the sending and loads it. The batches sent before that failure was seen reach the server before
     * the load, so they fail too and join this list in the order they were sent.
     *
     * <p>The load is queued behind the connection's pending writes rather than written at once: this runs on the
     * connection's thread, and a batch another thread handed over a moment ago (a caller sending itself, before the
     * loop is known) waits in that thread's queue; written at once, the load would pass it, and that batch would apply
     * before the stalled ones (seen: a caller's first call applied after its fourth, in 2 of 3 runs of 50 fresh
     * stores).
     */
    private CompletableFuture<Void> sendAgainOnceLoaded(List<Call> batch) {
        CompletableFuture<Void> answered = new CompletableFuture<>();
        synchronized (sending) {
            stalled.add(new Stalled(batch, answered));
            if (!reloading) {
                reloading = true;
                Runnable load =
                        () -> Functions.load(connection).whenComplete((loaded, failure) -> sendStalled(failure));
                EventExecutor current = ThreadExecutorMap.currentExecutor();
                if (current == null) {
                    load.run(); // (answered on the caller's thread: nothing of another thread waits to be written)
                } else {
                    current.execute(load);
                }
            }
        }
        return answered;
    }

    /** Sends the stalled batches again in their order, then resumes sending what is queued; or fails them. */
    private void sendStalled(Throwable loadFailure) {
        synchronized (sending) {
            List<Stalled> again = new ArrayList<>(stalled);
            stalled.clear();
            reloading = false;
            for (Stalled s : again) {
                if (loadFailure != null) {
                    complete(s.batch, null, loadFailure);
                    s.answered.complete(null);
                } else {
                    send(s.batch).handle((replies, failure) -> {
                        complete(s.batch, replies, failure);
                        return s.answered.complete(null);
                    });
                }
            }
            sendQueued();
        }
    }

    /** Takes the next batch off the queue (under {@link #sending}; {@link #withdraw} may take a call out meanwhile). */
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
     * The calls grouped by job, in order of each job's first call and, within a job, in queue order: a run of calls
     * on one job reads and writes the job once, and its items or parts with one command each. (Calls of
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

    /** Sends a batch; a failure to send fails the returned stage, so that it is answered like any failed call. */
    private CompletionStage<List<Object>> send(List<Call> batch) {
        try {
            CommandArgs<String, String> args =
                    WriteArgs.batch(Functions.WRITE.args(), sharedKeys, finishingKeys, batch, now.getAsLong(), channel);
            return Functions.dispatch(connection, args);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static void complete(List<Call> batch, List<Object> replies, Throwable failure) {
        if (failure == null && (replies == null || replies.size() != batch.size())) {
            failure = new RedisException("write answered " + (replies == null ? "nothing" : replies.size())
                    + " replies for " + batch.size() + " calls");
        }
        for (int i = 0; i < batch.size(); i++) {
            if (failure != null) {
                batch.get(i).reply.completeExceptionally(unwrap(failure));
            } else {
                // (a record call that applied is answered by one string, not an array: write.lua's progress_line)
                Object reply = replies.get(i);
                batch.get(i).reply.complete(reply instanceof List<?> ? (List<Object>) reply : List.of(reply));
            }
        }
    }

    private static byte[][] utf8(List<String> keys) {
        return keys.stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
    }

    /** @return the cause of a failure a {@link CompletableFuture} wrapped in {@link CompletionException}s */
    static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
