package io.tally;

/** A live subscription to events; close it to stop receiving them. */
public interface Subscription extends AutoCloseable {
    /** Stops delivery; events still queued are dropped. */
    @Override
    void close();
}
