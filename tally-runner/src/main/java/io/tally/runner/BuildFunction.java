package io.tally.runner;

/**
 * The work of a {@link Definition}: runs once per build and returns the build's result (any value Jackson can write
 * as JSON, or {@code null} for none). Throw {@link SkipBuild} to end the build SKIPPED; any other exception fails it.
 */
@FunctionalInterface
public interface BuildFunction {
    /**
     * @param ctx the build's parameters, dependency results, logger and progress
     * @return the result, stored as JSON with the build
     * @throws Exception to fail the build (type, message and stack text are stored)
     */
    Object run(BuildContext ctx) throws Exception;
}
