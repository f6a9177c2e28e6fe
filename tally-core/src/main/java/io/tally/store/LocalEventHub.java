package io.tally.store;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In-process event delivery, the fan-out behind every store's {@code subscribe}: the memory and SQL stores publish
 * their own events here, and stores with a channel (PostgreSQL, Redis) what they receive from it. Listeners
 * are called on the publishing thread (the writing thread, or the thread a channel delivers on) and must only hand
 * the event off (the core's event bus queues it); a listener that throws is logged and never breaks the write.
 */
public final class LocalEventHub {
    private static final Logger log = LoggerFactory.getLogger(LocalEventHub.class);
    private final CopyOnWriteArrayList<Consumer<StoreEvent>> listeners = new CopyOnWriteArrayList<>();

    /**
     * @param listener called for every event
     * @return closes the subscription
     */
    public AutoCloseable subscribe(Consumer<StoreEvent> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** @return true if anyone listens; lets a store skip building events nobody reads */
    public boolean hasListeners() {
        return !listeners.isEmpty();
    }

    /** Delivers an event to every listener. */
    public void publish(StoreEvent event) {
        for (Consumer<StoreEvent> l : listeners) {
            try {
                l.accept(event);
            } catch (RuntimeException e) {
                log.warn(
                        "event listener failed on {} of job {}",
                        event.type(),
                        event.record().id(),
                        e);
            }
        }
    }
}
