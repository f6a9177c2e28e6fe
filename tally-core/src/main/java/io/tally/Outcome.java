package io.tally;

/** The outcome of one unit of work: an item, a part or an anonymous tick. */
public enum Outcome {
    /** The unit succeeded. */
    SUCCESS,
    /** The unit failed. */
    FAILURE
}
