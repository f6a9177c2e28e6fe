package io.tally;

/** What happened to a job. */
public enum EventType {
    /** The job was created. */
    CREATED,
    /** The job started running. */
    STARTED,
    /** Counters, items, total or message changed. Coalesced for slow subscribers: only the latest is kept. */
    PROGRESS,
    /** A part got an outcome. Coalesced like progress. */
    PART,
    /** The last part was claimed: the one moment to run a reduce. Exactly one per job with parts. */
    SETTLED,
    /** The job SUCCEEDED. */
    FINISHED,
    /** The job FAILED. */
    FAILED,
    /** The job was CANCELLED. */
    CANCELLED,
    /** The job was SKIPPED. */
    SKIPPED,
    /** The job was deleted (retention or an explicit delete). */
    DELETED;

    /** @return true for the event types a slow subscriber may see only the latest of */
    public boolean isCoalesced() {
        return this == PROGRESS || this == PART;
    }

    /** @return the event announcing a move into {@code state}, if there is one */
    public static EventType forState(JobState state) {
        return switch (state) {
            case PENDING -> CREATED;
            case RUNNING -> STARTED;
            case SUCCEEDED -> FINISHED;
            case FAILED -> FAILED;
            case CANCELLED -> CANCELLED;
            case SKIPPED -> SKIPPED;
        };
    }
}
