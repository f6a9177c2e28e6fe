package io.tally;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The states of a job and the one transition table every store enforces.
 *
 * <pre>
 * PENDING ──► RUNNING ──► SUCCEEDED | FAILED | CANCELLED | SKIPPED
 *    └──────────────────► FAILED | CANCELLED | SKIPPED
 * </pre>
 *
 * Terminal states are final. Asking for the state a job is already in is a no-op, not an error; any other move that is
 * not in the table is an {@link IllegalTransitionException}.
 */
public enum JobState {
    /** Created, not started. */
    PENDING,
    /** Started; progress is being recorded. */
    RUNNING,
    /** Finished successfully (possibly with a result). */
    SUCCEEDED,
    /** Finished with an error; see {@link FailureReason}. */
    FAILED,
    /** Cancelled by a user. */
    CANCELLED,
    /** Decided not to run (for example a build that was not needed). */
    SKIPPED;

    private static final Map<JobState, Set<JobState>> ALLOWED = Map.of(
            PENDING, EnumSet.of(RUNNING, FAILED, CANCELLED, SKIPPED),
            RUNNING, EnumSet.of(SUCCEEDED, FAILED, CANCELLED, SKIPPED),
            SUCCEEDED, EnumSet.noneOf(JobState.class),
            FAILED, EnumSet.noneOf(JobState.class),
            CANCELLED, EnumSet.noneOf(JobState.class),
            SKIPPED, EnumSet.noneOf(JobState.class));

    /** @return true for SUCCEEDED, FAILED, CANCELLED and SKIPPED: states a job never leaves */
    public boolean isTerminal() {
        return this != PENDING && this != RUNNING;
    }

    /**
     * The transition table.
     *
     * @param from the stored state
     * @param to the requested state
     * @return true if the table allows {@code from → to}; false for {@code from == to} (a no-op, decided by the caller)
     */
    public static boolean canTransition(JobState from, JobState to) {
        return ALLOWED.get(from).contains(to);
    }

    /** @return the states from which a job may move to {@code to}, for guards such as {@code WHERE state IN (…)} */
    public static Set<JobState> sourcesOf(JobState to) {
        Set<JobState> sources = EnumSet.noneOf(JobState.class);
        for (JobState from : values()) {
            if (canTransition(from, to)) {
                sources.add(from);
            }
        }
        return sources;
    }

    /** @return the non-terminal states */
    public static Set<JobState> active() {
        return EnumSet.of(PENDING, RUNNING);
    }
}
