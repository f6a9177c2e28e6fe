package io.tally.store;

import io.tally.InvalidInputException;
import io.tally.internal.Validation;
import java.util.List;

/**
 * Increments to apply to a job in one atomic step. All fields are deltas (never absolute values) so that several
 * writers on one job add up.
 *
 * <p>Each count is 0 to {@link io.tally.internal.Validation#MAX_COUNT} (checked at the edge, {@code Job.record}); a
 * counter the update would take past that limit refuses the whole update ({@link JobRules}).
 *
 * @param succeeded anonymous successes to add, 0 to 2^53 − 1
 * @param failed anonymous failures to add, 0 to 2^53 − 1
 * @param items keyed items, idempotent by key
 * @param addTotal amount to add to the total, 0 to 2^53 − 1
 * @param message new status line, nullable (unchanged)
 */
public record ProgressUpdate(long succeeded, long failed, List<ItemUpdate> items, long addTotal, String message)
        implements JobWrite {
    /** Copies the item list. */
    public ProgressUpdate {
        items = List.copyOf(items);
    }

    /** @return an update that only counts anonymous units */
    public static ProgressUpdate counts(long succeeded, long failed) {
        return new ProgressUpdate(succeeded, failed, List.of(), 0, null);
    }

    /** @return an update of one keyed item */
    public static ProgressUpdate item(ItemUpdate item) {
        return new ProgressUpdate(0, 0, List.of(item), 0, null);
    }

    /**
     * The check every update gets at the edge ({@code Job.record}, a batch of updates before any of them is sent).
     *
     * @return this update
     * @throws InvalidInputException naming the field: a count outside 0 to 2^53 − 1, a message or reason too long, an
     *     item without a key or an outcome
     */
    public ProgressUpdate checked() {
        Validation.count("succeeded", succeeded);
        Validation.count("failed", failed);
        Validation.count("addTotal", addTotal);
        Validation.optionalText("message", message, Validation.MAX_MESSAGE);
        for (ItemUpdate i : items) {
            Validation.text("item", i.key(), Validation.MAX_NAME);
            if (i.outcome() == null) {
                throw new InvalidInputException("outcome", "is required for item " + i.key());
            }
            Validation.optionalText("reason", i.reason(), Validation.MAX_NAME);
        }
        return this;
    }

    /** @return true if this update changes nothing */
    public boolean isEmpty() {
        return succeeded == 0 && failed == 0 && items.isEmpty() && addTotal == 0 && message == null;
    }
}
