package io.tally.runner;

import io.tally.InvalidInputException;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Dispatcher} inside one process: each published message is handed to the handler on an executor thread;
 * a handler that throws gets the message again (with {@code attempt + 1}) up to {@code maxDeliveries} times, then it
 * is logged as dead-lettered ({@link Deliveries}). Nothing survives the process: for work that must outlive it, use a
 * transport with storage.
 */
public final class InProcessDispatcher implements Dispatcher {
    private static final Logger log = LoggerFactory.getLogger(InProcessDispatcher.class);

    private final ExecutorService executor;
    private final boolean ownsExecutor;
    private final int maxDeliveries;
    private volatile MessageHandler handler;
    private volatile boolean closed;

    /**
     * @param threads size of its own pool of daemon threads, shut down by {@link #close()}
     * @throws IllegalArgumentException if {@code threads} is less than 1
     */
    public InProcessDispatcher(int threads) {
        this(Executors.newFixedThreadPool(checkThreads(threads), Runner.daemon("tally-worker")), true, 100);
    }

    /**
     * @param executor runs the handler; not shut down by {@link #close()}
     * @param maxDeliveries deliveries of one message at most (a safety net; the runner gives up on a part earlier,
     *     after {@link MapReduceOptions#maxAttempts})
     * @throws NullPointerException if {@code executor} is null
     * @throws IllegalArgumentException if {@code maxDeliveries} is less than 1
     */
    public InProcessDispatcher(ExecutorService executor, int maxDeliveries) {
        this(executor, false, maxDeliveries);
    }

    private InProcessDispatcher(ExecutorService executor, boolean owns, int maxDeliveries) {
        if (maxDeliveries < 1) {
            throw new IllegalArgumentException("maxDeliveries must be at least 1, was " + maxDeliveries);
        }
        this.executor = Objects.requireNonNull(executor, "executor");
        this.ownsExecutor = owns;
        this.maxDeliveries = maxDeliveries;
    }

    private static int checkThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, was " + threads);
        }
        return threads;
    }

    @Override
    public void start(MessageHandler handler) {
        if (handler == null) {
            throw new InvalidInputException("handler", "must not be null");
        }
        this.handler = handler;
    }

    @Override
    public void publish(WorkMessage message) {
        MessageHandler h = handler;
        if (closed) {
            throw new DispatchException("dispatcher is closed; cannot publish " + message);
        }
        if (h == null) {
            throw new DispatchException("dispatcher not started; cannot publish " + message);
        }
        try {
            executor.execute(() -> deliver(h, message));
        } catch (RejectedExecutionException e) {
            throw new DispatchException("executor rejected " + message, e);
        }
    }

    private void deliver(MessageHandler h, WorkMessage message) {
        Deliveries.Outcome o = Deliveries.deliver(h, message, maxDeliveries);
        if (o.verdict() == Deliveries.Verdict.RETRY) {
            if (closed) {
                // Not given up on, only not delivered again: the part stays pending, as a stopped worker leaves it.
                log.warn(
                        "dispatcher closed; not redelivering {}: {}",
                        message,
                        o.cause().toString());
                return;
            }
            log.debug("redelivering {}: {}", message, o.cause().toString());
            try {
                executor.execute(() -> deliver(h, message.redelivery()));
                return;
            } catch (RejectedExecutionException shutDown) {
                log.error("cannot redeliver {}: executor shut down", message, o.cause());
                return;
            }
        }
        if (o.verdict() != Deliveries.Verdict.ACK) {
            // Nothing outlives this process: the log is the dead-letter place.
            Deliveries.deadLettered(h, message, "the log (in-process dispatcher)", o.cause());
        }
    }

    @Override
    public void close() {
        closed = true;
        if (ownsExecutor) {
            executor.shutdownNow();
        }
    }
}
