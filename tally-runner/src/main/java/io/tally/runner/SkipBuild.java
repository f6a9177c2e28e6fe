package io.tally.runner;

/**
 * Thrown from a {@link BuildFunction} to say the build is not needed: the build ends SKIPPED, keeps no result, and
 * does not make dependents outdated (jobcontrol's "skip" builds). The cleanup function still runs.
 */
public class SkipBuild extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Skips without a reason. */
    public SkipBuild() {
        super("build skipped");
    }

    /** @param reason why the build is not needed; logged with the build */
    public SkipBuild(String reason) {
        super(reason);
    }
}
