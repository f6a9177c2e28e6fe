package io.tally;

/**
 * What a sweep did.
 *
 * @param stalled RUNNING jobs failed as {@code stalled} because their heartbeat lease lapsed
 * @param timedOut jobs failed as {@code timeout} because they ran past their deadline
 * @param deleted finished jobs deleted because their retention ended
 */
public record SweepResult(int stalled, int timedOut, int deleted) {
    /** @return the number of jobs changed */
    public int total() {
        return stalled + timedOut + deleted;
    }
}
