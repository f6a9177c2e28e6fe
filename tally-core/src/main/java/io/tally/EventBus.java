package io.tally;

import io.tally.store.JobStore;
import io.tally.store.StoreEvent;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fans the store's event feed out to subscriptions. Each subscription has its own queue and delivery thread, so a slow
 * subscriber never slows a writer or another subscriber. Coalescing: while a PROGRESS (or PART) event of a job waits
 * in a queue, a newer one of the same job and type replaces it in place, so a million ticks make at most as many
 * events as the subscriber can take, and the latest counts always arrive. Other events are never dropped.
 */
final class EventBus implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventBus.class);
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final JobStore store;
    private final Function<StoreEvent, JobEvent> convert;
    private final CopyOnWriteArrayList<Sub> subs = new CopyOnWriteArrayList<>();
    private AutoCloseable storeSubscription;

    EventBus(JobStore store, Function<StoreEvent, JobEvent> convert) {
        this.store = store;
        this.convert = convert;
    }

    synchronized Subscription subscribe(EventFilter filter, Consumer<JobEvent> listener) {
        if (storeSubscription == null) {
            storeSubscription = store.subscribe(this::dispatch);
        }
        Sub sub = new Sub(filter, listener);
        subs.add(sub);
        sub.thread.start();
        return sub;
    }

    private void dispatch(StoreEvent e) {
        for (Sub s : subs) {
            if (s.filter.accepts(e)) {
                s.offer(e);
            }
        }
    }

    @Override
    public synchronized void close() {
        for (Sub s : subs) {
            s.close();
        }
        closeStoreSubscription();
    }

    /**
     * Drops a closed subscription; the last one also ends the store's feed: a store with a channel (Redis, PostgreSQL)
     * otherwise keeps sending every write's events to a process where nobody listens, and Redis keeps publishing them.
     */
    private synchronized void removed(Sub sub) {
        subs.remove(sub);
        if (subs.isEmpty()) {
            closeStoreSubscription();
        }
    }

    private void closeStoreSubscription() {
        if (storeSubscription != null) {
            try {
                storeSubscription.close();
            } catch (Exception e) {
                log.warn("closing the store's event subscription failed", e);
            }
            storeSubscription = null;
        }
    }

    /** A queued event; coalesced events are replaced in place while they wait. */
    private static final class Slot {
        StoreEvent event;

        Slot(StoreEvent event) {
            this.event = event;
        }
    }

    private final class Sub implements Subscription {
        private final EventFilter filter;
        private final Consumer<JobEvent> listener;
        private final ArrayDeque<Slot> queue = new ArrayDeque<>();
        private final Map<String, Slot> waiting = new HashMap<>();
        private final Thread thread;
        private boolean closed;

        Sub(EventFilter filter, Consumer<JobEvent> listener) {
            this.filter = filter;
            this.listener = listener;
            this.thread = new Thread(this::run, "tally-events-" + THREADS.incrementAndGet());
            this.thread.setDaemon(true);
        }

        synchronized void offer(StoreEvent e) {
            if (closed) {
                return;
            }
            if (e.type().isCoalesced()) {
                String key = e.type() + "/" + e.record().id();
                Slot slot = waiting.get(key);
                if (slot != null) {
                    slot.event = e;
                    return;
                }
                slot = new Slot(e);
                waiting.put(key, slot);
                queue.add(slot);
            } else {
                queue.add(new Slot(e));
            }
            notifyAll();
        }

        private synchronized StoreEvent take() throws InterruptedException {
            while (queue.isEmpty() && !closed) {
                wait();
            }
            if (closed) {
                return null;
            }
            Slot slot = queue.poll();
            if (slot.event.type().isCoalesced()) {
                waiting.remove(slot.event.type() + "/" + slot.event.record().id());
            }
            return slot.event;
        }

        private void run() {
            try {
                StoreEvent e;
                while ((e = take()) != null) {
                    try {
                        listener.accept(convert.apply(e));
                    } catch (RuntimeException ex) {
                        log.warn(
                                "subscriber ({}) failed on {} of job {}",
                                filter,
                                e.type(),
                                e.record().id(),
                                ex);
                    }
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() {
            synchronized (this) {
                closed = true;
                queue.clear();
                waiting.clear();
                notifyAll();
            }
            removed(this);
        }
    }

    static JobEvent toEvent(StoreEvent e, Function<io.tally.store.JobRecord, JobSnapshot> snapshot) {
        return new JobEvent(
                e.type(), snapshot.apply(e.record()), e.part() < 0 ? OptionalInt.empty() : OptionalInt.of(e.part()));
    }
}
