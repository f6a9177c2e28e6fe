package io.tally.runner;

/**
 * Runs after a definition's {@link BuildFunction}, whether it succeeded, failed or skipped (jobcontrol's cleanup
 * function). Its logs belong to the build. If it throws after a successful function the build fails; after a failed
 * function its exception is added to the stored error as suppressed.
 */
@FunctionalInterface
public interface CleanupFunction {
    /**
     * @param ctx the same context the function saw
     * @throws Exception if cleaning up failed
     */
    void cleanup(BuildContext ctx) throws Exception;
}
