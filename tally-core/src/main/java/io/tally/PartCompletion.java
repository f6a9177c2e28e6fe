package io.tally;

/**
 * What completing or failing a part did.
 *
 * @param changed true if this call gave the part(s) their outcome; false for a duplicate or a redelivery, which
 *     changed nothing
 * @param remaining parts of the job with no outcome yet
 * @param last true for exactly one call per job, ever: the one that settled it. Run the reduce on it.
 */
public record PartCompletion(boolean changed, long remaining, boolean last) {
    /**
     * @return {@link #changed()}
     * @deprecated read like "the first part"; use {@link #changed()}. Kept so code written against 0.1 compiles.
     */
    @Deprecated(since = "0.2", forRemoval = true)
    public boolean first() {
        return changed;
    }
}
