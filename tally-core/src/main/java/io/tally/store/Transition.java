package io.tally.store;

import io.tally.JobError;
import io.tally.JobState;
import java.util.Objects;

/**
 * A change of a job's lifecycle, applied by {@link JobStore#transition} in one step guarded by the stored state: a
 * move to another state ({@link Move}), a heartbeat that renews the lease ({@link Heartbeat}), or the sweep's
 * re-checked expiry ({@link Expire}). Each is answered with a {@link TransitionResult}.
 */
public sealed interface Transition extends JobWrite {

    /**
     * A move to another state, allowed by {@link JobState#canTransition}; asking for the current state is a no-op.
     *
     * @param target the state to move to
     * @param resultJson result to store with SUCCEEDED, nullable
     * @param error error to store with FAILED or CANCELLED, nullable
     */
    record Move(JobState target, String resultJson, JobError error) implements Transition {
        /** Checks the target. */
        public Move {
            Objects.requireNonNull(target, "target");
        }
    }

    /** Renews the heartbeat lease ({@code now + heartbeat}) of an active job; a finished job refuses it. */
    record Heartbeat() implements Transition {}

    /**
     * Enforces {@code kind} if the job is still due for it (re-checked on the stored state): fails it as stalled or
     * timed out, or deletes it when its retention ended; {@code changed = false} when it is not due (any more).
     *
     * @param kind what the sweep enforces
     */
    record Expire(SweepKind kind) implements Transition {
        /** Checks the kind. */
        public Expire {
            Objects.requireNonNull(kind, "kind");
        }
    }

    /** @return a move to {@code target} storing {@code resultJson} or {@code error} (each nullable) */
    static Move move(JobState target, String resultJson, JobError error) {
        return new Move(target, resultJson, error);
    }

    /** @return a move to RUNNING */
    static Move start() {
        return new Move(JobState.RUNNING, null, null);
    }

    /** @return a heartbeat */
    static Heartbeat heartbeat() {
        return new Heartbeat();
    }

    /** @return the sweep's expiry of {@code kind} */
    static Expire expire(SweepKind kind) {
        return new Expire(kind);
    }
}
