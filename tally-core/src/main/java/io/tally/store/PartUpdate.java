package io.tally.store;

import io.tally.Outcome;

/**
 * The outcome of one part.
 *
 * @param part the part number, {@code 0..parts-1}
 * @param outcome its outcome
 * @param reason why it failed, nullable
 * @param failJob on FAILURE: fail the whole job with reason {@code part_failed}
 */
public record PartUpdate(int part, Outcome outcome, String reason, boolean failJob) {
    /** @return a successful part */
    public static PartUpdate success(int part) {
        return new PartUpdate(part, Outcome.SUCCESS, null, false);
    }
}
