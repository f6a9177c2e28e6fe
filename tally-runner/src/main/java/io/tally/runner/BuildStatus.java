package io.tally.runner;

/** The status of a definition, as {@link Runner#status(String)} reports it. */
public enum BuildStatus {
    /** No build of it ever succeeded or failed. */
    NOT_BUILT,
    /** A build of it is pending or running. */
    BUILDING,
    /** Its latest decisive build succeeded and nothing it depends on changed since. */
    SUCCEEDED,
    /** Its latest decisive build failed. */
    FAILED,
    /**
     * Its latest decisive build succeeded, but a transitive dependency has a newer successful build than the one it
     * used, or its input fingerprint (parameters, version, pinned dependency builds) changed.
     */
    OUTDATED
}
