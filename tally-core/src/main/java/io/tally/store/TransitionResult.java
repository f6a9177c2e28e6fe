package io.tally.store;

/**
 * What a transition did.
 *
 * @param record the job after the call
 * @param changed false when the job already was in the target state (a no-op)
 */
public record TransitionResult(JobRecord record, boolean changed) {}
