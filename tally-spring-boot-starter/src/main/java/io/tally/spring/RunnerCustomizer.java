package io.tally.spring;

import io.tally.runner.Runner;

/**
 * Adds to the Runner the starter builds from the application's {@code Definition} beans what beans cannot say:
 * map-reduce functions, a dispatcher, an executor, log settings. Called after the definitions are added, in bean order.
 */
@FunctionalInterface
public interface RunnerCustomizer {
    /** @param builder the runner's builder, its definitions already added */
    void customize(Runner.Builder builder);
}
