package io.tally;

import java.util.Locale;

/** Why a job is FAILED (or CANCELLED). Shown as {@link #name()} (JSON, CLI, dashboard); stored as {@link #code()}. */
public enum FailureReason {
    /** The job's code reported an error ({@code job.fail(…)}). */
    ERROR,
    /** The job ran past its execution deadline ({@code JobSpec.timeout}). */
    TIMEOUT,
    /** The job's heartbeat lease lapsed: its worker is presumed dead ({@code JobSpec.heartbeat}). */
    STALLED,
    /** A part failed with {@code failJob = true}, or too many parts failed. */
    PART_FAILED,
    /** The job was cancelled. */
    CANCELLED;

    /**
     * @return the form the stores keep: {@code error}, {@code timeout}, {@code stalled}, {@code part_failed},
     *     {@code cancelled}. Everything a user reads (JSON, the CLI, the dashboard) spells a reason as {@link #name()}.
     */
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @param code a stored code, as returned by {@link #code()}
     * @return the reason
     * @throws InvalidInputException if the code is unknown
     */
    public static FailureReason ofCode(String code) {
        for (FailureReason r : values()) {
            if (r.code().equals(code)) {
                return r;
            }
        }
        throw new InvalidInputException("reason", "unknown failure reason '" + code + "'");
    }
}
