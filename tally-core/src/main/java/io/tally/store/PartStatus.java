package io.tally.store;

/** Which parts to list. */
public enum PartStatus {
    /** Parts with no outcome yet. */
    PENDING,
    /** Parts that succeeded. */
    SUCCEEDED,
    /** Parts that failed. */
    FAILED
}
