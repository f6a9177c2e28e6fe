package io.tally.dynamodb;

import io.tally.dynamodb.JobQueues.Call;
import io.tally.store.JobWrite;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * The per-job queues and their drainers: one step per job at a time in this process. The first call of a job starts
 * a drainer thread (a pool's) that takes the job's queue, up to {@value #MAX_BATCH} calls a step, so callers of one job
 * never race each other's conditions; the conditions guard against other processes. A caller whose answer comes back
 * on the draining thread and who calls the same job again from there runs its call at once (no deadlock on its own
 * queue). A creation and a delete take their turn in the same queue (each alone), so CREATED comes before, and DELETED
 * after, every other event of the job from this process.
 */
final class JobQueues {
    static final int MAX_BATCH = 64;

    /**
     * A queued call: a write the rules decide ({@code write}), or an operation of its own on the job ({@code op}:
     * a creation or a delete, run alone, so that its event is in order with the job's other events).
     */
    record Call(JobWrite write, Supplier<Object> op, CompletableFuture<Object> answer) {}

    private final ConcurrentHashMap<String, ArrayDeque<Call>> queues = new ConcurrentHashMap<>();
    private final ThreadLocal<Set<String>> draining = ThreadLocal.withInitial(HashSet::new);
    private final Executor drainers;
    /** Runs a batch of writes of one job as one step and answers each call; never throws. */
    private final BiConsumer<String, List<Call>> steps;

    JobQueues(Executor drainers, BiConsumer<String, List<Call>> steps) {
        this.drainers = drainers;
        this.steps = steps;
    }

    /**
     * Queues a call on its job. A call that finds no queue starts a drainer thread for it, which takes the calls
     * queued meanwhile with it: the caller's answer comes back on that thread, so a caller may keep many calls in
     * flight (the asynchronous forms) and a blocking caller waits for its answer ({@link io.tally.store.JobStore#await}).
     */
    CompletableFuture<Object> submit(String id, JobWrite write) {
        return enqueue(id, new Call(write, null, new CompletableFuture<>()));
    }

    CompletableFuture<Object> submitOp(String id, Supplier<Object> op) {
        return enqueue(id, new Call(null, op, new CompletableFuture<>()));
    }

    private CompletableFuture<Object> enqueue(String id, Call c) {
        if (draining.get().contains(id)) {
            // called again from an answer on the draining thread: run now, the queue waits for this thread
            run(id, List.of(c));
            return c.answer();
        }
        boolean[] drain = {false};
        queues.compute(id, (k, q) -> {
            ArrayDeque<Call> queue = q;
            if (queue == null) {
                queue = new ArrayDeque<>();
                drain[0] = true;
            }
            queue.add(c);
            return queue;
        });
        if (drain[0]) {
            try {
                drainers.execute(() -> drain(id));
            } catch (RejectedExecutionException closed) {
                drain(id);
            }
        }
        return c.answer();
    }

    private void drain(String id) {
        draining.get().add(id);
        try {
            while (true) {
                List<Call> batch = new ArrayList<>();
                queues.compute(id, (k, q) -> {
                    if (!q.isEmpty() && q.peek().op() != null) {
                        batch.add(q.poll()); // an operation of its own runs alone
                    }
                    while (batch.isEmpty() || batch.get(0).op() == null) {
                        if (q.isEmpty() || q.peek().op() != null || batch.size() == MAX_BATCH) {
                            break;
                        }
                        batch.add(q.poll());
                    }
                    return batch.isEmpty() ? null : q;
                });
                if (batch.isEmpty()) {
                    return;
                }
                run(id, batch);
            }
        } finally {
            draining.get().remove(id);
        }
    }

    /** Runs a batch: an operation of its own, or writes as one step; never throws. */
    private void run(String id, List<Call> calls) {
        Call first = calls.get(0);
        if (first.op() == null) {
            steps.accept(id, calls);
            return;
        }
        try {
            first.answer().complete(first.op().get());
        } catch (RuntimeException e) {
            first.answer().completeExceptionally(e);
        }
    }
}
