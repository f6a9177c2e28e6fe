package io.tally.store;

/**
 * What recording parts did.
 *
 * @param changed parts whose outcome this call set or moved (0 for a pure duplicate)
 * @param remaining parts with no outcome yet
 * @param last true for exactly one call per job: the one that settled it
 * @param record the job after the call
 */
public record PartsResult(int changed, long remaining, boolean last, JobRecord record) {}
