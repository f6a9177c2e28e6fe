package io.tally.store;

/**
 * What recording parts did, without the job: the answer of {@link JobStore#recordParts}.
 *
 * @param changed parts whose outcome this call set or moved (0 for a pure duplicate)
 * @param remaining parts with no outcome yet
 * @param last true for exactly one call per job: the one that settled it
 */
public record PartsOutcome(int changed, long remaining, boolean last) {}
