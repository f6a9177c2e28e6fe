package io.tally.dynamodb;

import io.tally.JobNotFoundException;
import io.tally.StoreUnavailableException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * The store's requests to DynamoDB and the threads they run on: every request goes through {@link #call}, which runs
 * it on a thread nothing interrupts and turns an SDK failure into a {@link StoreUnavailableException}; batches are
 * chunked to DynamoDB's sizes and their unprocessed keys sent again.
 */
final class Requests {
    private final DynamoDbClient client;
    private final String table;
    private final JobItems layout;
    /** The store's threads: the drainers of the job queues, the lanes of a row flush, and every request. */
    private final ThreadPoolExecutor drainers;

    Requests(DynamoDbClient client, String table, JobItems layout) {
        this.client = client;
        this.table = table;
        this.layout = layout;
        AtomicInteger threads = new AtomicInteger();
        this.drainers =
                new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
                    Thread t = new IoThread(r, "tally-dynamodb-" + threads.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    DynamoDbClient client() {
        return client;
    }

    String table() {
        return table;
    }

    JobItems layout() {
        return layout;
    }

    /** @return the store's threads (see {@link IoThread}) */
    Executor threads() {
        return drainers;
    }

    /** Stops the threads once their work is done; a request after this runs on its caller's thread. */
    void shutdown() {
        drainers.shutdown();
    }

    /** @return the job's item, read consistently, or null */
    JobItems.Stored read(String id) {
        Map<String, AttributeValue> item = call(() -> client.getItem(
                        b -> b.tableName(table).key(layout.jobKey(id)).consistentRead(true)))
                .item();
        return item == null || item.isEmpty() ? null : JobItems.decode(item);
    }

    JobItems.Stored readExisting(String id) {
        JobItems.Stored s = read(id);
        if (s == null) {
            throw new JobNotFoundException(id);
        }
        return s;
    }

    /** @return the items of {@code keys} that exist (only their sort key and outcome when {@code outcomes}) */
    List<Map<String, AttributeValue>> batchGet(List<Map<String, AttributeValue>> keys, boolean outcomes) {
        List<Map<String, AttributeValue>> out = new ArrayList<>();
        for (int i = 0; i < keys.size(); i += 100) {
            List<Map<String, AttributeValue>> chunk = keys.subList(i, Math.min(keys.size(), i + 100));
            KeysAndAttributes.Builder ka =
                    KeysAndAttributes.builder().keys(chunk).consistentRead(true);
            if (outcomes) {
                ka.projectionExpression("#sk, #o, #r")
                        .expressionAttributeNames(Map.of("#sk", JobItems.SK, "#o", "o", "#r", "r"));
            }
            Map<String, KeysAndAttributes> request = Map.of(table, ka.build());
            for (int attempt = 0; !request.isEmpty(); attempt++) {
                Map<String, KeysAndAttributes> r = request;
                BatchGetItemResponse got = call(() -> client.batchGetItem(b -> b.requestItems(r)));
                out.addAll(got.responses().getOrDefault(table, List.of()));
                request = got.hasUnprocessedKeys() ? got.unprocessedKeys() : Map.of();
                if (!request.isEmpty()) {
                    backoff(attempt);
                }
            }
        }
        return out;
    }

    void batchWrite(List<WriteRequest> writes) {
        for (int i = 0; i < writes.size(); i += 25) {
            Map<String, List<WriteRequest>> request =
                    Map.of(table, List.copyOf(writes.subList(i, Math.min(writes.size(), i + 25))));
            for (int attempt = 0; !request.isEmpty(); attempt++) {
                Map<String, List<WriteRequest>> r = request;
                BatchWriteItemResponse done = call(() -> client.batchWriteItem(b -> b.requestItems(r)));
                request = done.hasUnprocessedItems() ? done.unprocessedItems() : Map.of();
                if (!request.isEmpty()) {
                    backoff(attempt);
                }
            }
        }
    }

    private static void backoff(int attempt) {
        if (attempt > 50) {
            throw new StoreUnavailableException("DynamoDB: batch left unprocessed after " + attempt + " attempts");
        }
        LockSupport.parkNanos(Math.min(1L << Math.min(attempt, 10), 500) * 1_000_000L);
    }

    /** Runs a request; a failed condition is the caller's, any other failure a {@link StoreUnavailableException}. */
    <T> T call(Supplier<T> request) {
        if (Thread.currentThread() instanceof IoThread) {
            return send(request);
        }
        // On the store's own thread, and the caller waits without being interruptible: an interrupt (a closing
        // sweeper's, say) makes the SDK abort the request, and a connection dropped with a request in flight takes
        // dynalite down (it throws on the aborted request). The wait is bounded by the request's own time-outs.
        CompletableFuture<T> sent;
        try {
            sent = CompletableFuture.supplyAsync(() -> send(request), drainers);
        } catch (RejectedExecutionException closed) {
            return send(request);
        }
        return await(sent);
    }

    private static <T> T send(Supplier<T> request) {
        try {
            return request.get();
        } catch (ConditionalCheckFailedException e) {
            throw e;
        } catch (SdkException e) {
            throw unavailable(e);
        }
    }

    /** The store's threads: they run the steps and every request, and nothing interrupts them. */
    private static final class IoThread extends Thread {
        IoThread(Runnable r, String name) {
            super(r, name);
        }
    }

    static StoreUnavailableException unavailable(SdkException e) {
        return new StoreUnavailableException("DynamoDB: " + e.getMessage(), e);
    }

    /**
     * Waits for an answer as {@link io.tally.store.JobStore#await} does (the helpers are not the store): the
     * exception the call failed with, as it was thrown.
     */
    static <T> T await(CompletableFuture<T> answer) {
        try {
            return answer.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : e;
        }
    }
}
