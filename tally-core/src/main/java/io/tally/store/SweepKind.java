package io.tally.store;

/** The three things {@code sweep()} enforces, each served by its own index in a store. */
public enum SweepKind {
    /** RUNNING jobs whose heartbeat lease lapsed: failed as {@code stalled}. */
    STALLED,
    /** Active jobs past their execution deadline: failed as {@code timeout}. */
    TIMEOUT,
    /** Finished jobs past their retention: deleted. */
    RETENTION
}
