package io.tally;

import java.util.OptionalInt;

/**
 * Something that happened to a job, with the job as it was right after.
 *
 * @param type what happened
 * @param snapshot the job after the change (before it, for DELETED)
 * @param part the part, for PART events
 */
public record JobEvent(EventType type, JobSnapshot snapshot, OptionalInt part) {
    /** @return the job id */
    public String jobId() {
        return snapshot.id();
    }
}
