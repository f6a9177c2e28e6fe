package io.tally.store;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What {@link JobRules} decided for the writes of one step on one job: what the store writes, what it announces once
 * the write is durable, and each call's answer. A store persists all of it in the step in which it read the job.
 *
 * @param before the job as the store read it (null for a creation)
 * @param after the job as it must be stored; {@code before} itself when no call changed it
 * @param deleted true when the job must be deleted (its retention ended); {@code after} is then the job as it was
 * @param items keyed items to store, one per key: the last outcome and reason the step gave it (an item recorded
 *     again with the same outcome is written too, for its reason)
 * @param parts parts whose outcome changed, one per part: the last outcome and reason the step gave it
 * @param events the events, in the order they must be published
 * @param replies one answer per call, in call order
 */
public record Applied(
        JobRecord before,
        JobRecord after,
        boolean deleted,
        List<ItemUpdate> items,
        List<PartUpdate> parts,
        List<StoreEvent> events,
        List<Reply> replies) {

    /** Copies the lists. */
    public Applied {
        items = List.copyOf(items);
        parts = List.copyOf(parts);
        events = List.copyOf(events);
        replies = List.copyOf(replies);
    }

    /** @return true if the job's row must be written (or deleted) */
    public boolean changed() {
        return deleted || after != before;
    }

    /** @return the only call's answer, thrown if it is an exception */
    public <T> T single(Class<T> type) {
        return replies.get(0).get(type);
    }

    /**
     * The answer of one call: its value, or the exception it fails with (that call changed nothing).
     *
     * @param value a {@link RecordedProgress}, {@link PartsOutcome}, {@link TransitionResult} or the created
     *     {@link JobRecord}; null when {@code error} is set
     * @param error the refusal, or null
     */
    public record Reply(Object value, RuntimeException error) {
        /** @return the value as {@code type} @throws RuntimeException the call's refusal */
        public <T> T get(Class<T> type) {
            if (error != null) {
                throw error;
            }
            return type.cast(value);
        }

        /** Completes {@code f} with this answer. */
        public <T> void complete(CompletableFuture<T> f, Class<T> type) {
            if (error != null) {
                f.completeExceptionally(error);
            } else {
                f.complete(type.cast(value));
            }
        }
    }
}
