package io.tally.store;

import io.tally.EventType;

/**
 * An event as a store emits it, carrying the job as it was right after the change.
 *
 * @param type what happened
 * @param record the job after the change (before it, for DELETED)
 * @param part the part number for PART events, else -1
 */
public record StoreEvent(EventType type, JobRecord record, int part) {
    /** @return an event without a part */
    public static StoreEvent of(EventType type, JobRecord record) {
        return new StoreEvent(type, record, -1);
    }
}
