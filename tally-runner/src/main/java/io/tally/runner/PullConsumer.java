package io.tally.runner;

import java.util.Iterator;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consuming half of the transports a worker pulls its messages from (NATS JetStream, SQS), once: a reader thread
 * takes as many messages as there are free worker threads and hands each to one; the worker runs it under the one
 * redelivery policy ({@link Deliveries}) with its lease extended every {@code extendEvery} while it runs, then settles
 * it by the verdict. A transport says only how to receive, read, extend, acknowledge, redeliver and dead-letter.
 *
 * @param <M> the transport's message
 */
final class PullConsumer<M> {
    private static final Logger log = LoggerFactory.getLogger(PullConsumer.class);

    /** What a pull transport does with its messages. */
    interface Transport<M> {
        /** @return up to {@code max} messages, each handed on as it arrives; may wait up to the transport's poll */
        Iterator<M> receive(int max) throws Exception;

        /** @return most messages one {@link #receive} may ask for */
        int maxPerReceive();

        /** @throws RuntimeException for a message that is not a {@link WorkMessage} */
        WorkMessage parse(M m);

        /** @return the deliveries of {@code m}, this one included */
        int deliveries(M m);

        /** Extends the time {@code m} stays with this worker (AckWait, visibility). */
        void extend(M m);

        void ack(M m);

        /** Has {@code m} delivered again, at once where the transport can. */
        void retry(M m);

        /** Moves {@code m} to the dead-letter place. @return whether it was moved (else it comes back) */
        boolean deadLetter(M m, int deliveries, Exception cause);

        /** @return the dead-letter place, as a message's job failure names it */
        String deadPlace();

        /** @return what the messages are taken from, for the log */
        String source();
    }

    private final Transport<M> transport;
    private final MessageHandler handler;
    private final int threads;
    private final long extendEveryMillis;
    private final int maxDeliveries;
    private final ExecutorService workers;
    private final ScheduledExecutorService ticker;
    private final Thread reader;
    private volatile boolean closed;

    /**
     * @param name the threads' name, e.g. {@code nats}
     * @param extendEveryMillis how often a running message's lease is extended
     */
    PullConsumer(
            Transport<M> transport,
            MessageHandler handler,
            String name,
            int threads,
            long extendEveryMillis,
            int maxDeliveries) {
        this.transport = transport;
        this.handler = handler;
        this.threads = threads;
        this.extendEveryMillis = extendEveryMillis;
        this.maxDeliveries = maxDeliveries;
        this.workers = Executors.newFixedThreadPool(threads, Runner.daemon("tally-" + name + "-worker"));
        this.ticker = Executors.newSingleThreadScheduledExecutor(Runner.daemon("tally-" + name + "-lease"));
        this.reader = new Thread(this::receiveLoop, "tally-" + name + "-reader-" + transport.source());
        reader.setDaemon(true);
    }

    void start() {
        reader.start();
    }

    private void receiveLoop() {
        Semaphore free = new Semaphore(threads);
        while (!closed) {
            int n = 0;
            try {
                free.acquire();
                n = 1 + free.drainPermits();
                int want = Math.min(n, transport.maxPerReceive());
                free.release(n - want);
                n = want;
                Iterator<M> batch = transport.receive(want);
                while (batch.hasNext()) {
                    M m = batch.next();
                    n--;
                    if (closed) {
                        free.release();
                        transport.retry(m); // received while closing: back to the transport at once
                        continue;
                    }
                    workers.execute(() -> {
                        try {
                            process(m);
                        } finally {
                            free.release();
                        }
                    });
                }
                free.release(n);
                n = 0;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                free.release(n);
                if (closed) {
                    return;
                }
                log.warn("receiving from {} failed, retrying: {}", transport.source(), e.toString());
                pause();
            }
        }
    }

    private void process(M msg) {
        WorkMessage message;
        try {
            message = transport.parse(msg);
        } catch (RuntimeException malformed) {
            log.error("dead-lettering a malformed message of {}: {}", transport.source(), malformed.toString());
            transport.deadLetter(msg, 0, malformed);
            return;
        }
        WorkMessage m = message.withAttempt(transport.deliveries(msg));
        ScheduledFuture<?> lease = ticker.scheduleAtFixedRate(
                () -> {
                    try {
                        transport.extend(msg);
                    } catch (RuntimeException e) {
                        log.debug("extending the lease of {} failed: {}", m, e.toString());
                    }
                },
                extendEveryMillis,
                extendEveryMillis,
                TimeUnit.MILLISECONDS);
        Deliveries.Outcome o;
        try {
            o = Deliveries.deliver(handler, m, maxDeliveries);
        } finally {
            lease.cancel(false);
        }
        try {
            switch (o.verdict()) {
                case ACK -> transport.ack(msg);
                case RETRY -> transport.retry(msg);
                case DEAD_LETTER -> {
                    if (transport.deadLetter(msg, m.attempt(), o.cause())) {
                        Deliveries.deadLettered(handler, m, transport.deadPlace(), o.cause());
                    }
                }
            }
        } catch (RuntimeException e) {
            // Not settled: the message comes back after its lease, which the runner makes harmless.
            log.warn("settling {} failed: {}", m, e.toString());
        }
    }

    private static void pause() {
        try {
            TimeUnit.MILLISECONDS.sleep(500); // back off from a failing server instead of spinning
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops receiving, waits up to {@code readerMillis} for the receive under way and briefly for running messages. */
    void close(long readerMillis) throws InterruptedException {
        closed = true;
        reader.join(readerMillis);
        workers.shutdown();
        workers.awaitTermination(5, TimeUnit.SECONDS);
        ticker.shutdownNow();
    }
}
