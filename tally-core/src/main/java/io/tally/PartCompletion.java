package io.tally;

/**
 * What completing a part did.
 *
 * @param first true if this call gave the part(s) their success (false for a duplicate or redelivery)
 * @param remaining parts of the job with no outcome yet
 * @param last true for exactly one call per job, ever: the one that settled it. Run the reduce on it.
 */
public record PartCompletion(boolean first, long remaining, boolean last) {}
