package io.tally.store;

import io.tally.JobError;
import io.tally.JobState;
import java.util.Objects;

/**
 * A requested state change.
 *
 * @param target the state to move to
 * @param resultJson result to store with SUCCEEDED, nullable
 * @param error error to store with FAILED or CANCELLED, nullable
 */
public record Transition(JobState target, String resultJson, JobError error) {
    /** Checks the target. */
    public Transition {
        Objects.requireNonNull(target, "target");
    }

    /** @return a move to RUNNING */
    public static Transition start() {
        return new Transition(JobState.RUNNING, null, null);
    }
}
