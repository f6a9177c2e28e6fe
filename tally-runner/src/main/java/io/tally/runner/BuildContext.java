package io.tally.runner;

import io.tally.InvalidInputException;
import io.tally.Job;
import io.tally.JobSnapshot;
import io.tally.JobState;
import io.tally.Reporter;
import io.tally.Tally;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;

/**
 * What a running build sees: its parameters, the results of the dependency builds pinned when it was created, a
 * logger and progress reporting. One per build; thread-safe.
 */
public final class BuildContext {
    private final Tally tally;
    private final Definition definition;
    private final Job job;
    private final Map<String, Object> params;
    private final Map<String, String> pinned;
    private final BuildLog log;
    private final Logger logger;
    private final List<AutoCloseable> opened = new ArrayList<>();
    private final BuildCancel cancel;
    private Reporter reporter;

    BuildContext(
            Tally tally,
            Definition definition,
            Job job,
            Map<String, Object> params,
            Map<String, String> pinned,
            BuildLog log,
            BuildCancel cancel) {
        this.tally = tally;
        this.definition = definition;
        this.job = job;
        this.params = params;
        this.pinned = pinned;
        this.log = log;
        this.cancel = cancel;
        this.logger = new BuildLogger("io.tally.runner.build." + definition.id(), log);
    }

    /** @return the build id (the Tally job's id) */
    public String buildId() {
        return job.id();
    }

    /** @return the definition being built */
    public Definition definition() {
        return definition;
    }

    /** @return the build's parameters: the definition's defaults overlaid with the build's overrides */
    public Map<String, Object> params() {
        return params;
    }

    /**
     * @param name the parameter
     * @param type what to convert its JSON value to
     * @return the value
     * @throws InvalidInputException if there is no such parameter or it does not convert
     */
    public <T> T param(String name, Class<T> type) {
        if (!params.containsKey(name)) {
            throw new InvalidInputException(
                    "param",
                    "build of " + definition.id() + " has no parameter '" + name + "'; it has " + params.keySet());
        }
        return RunnerJson.convert("param " + name, params.get(name), type);
    }

    /** @return the parameter's value, or {@code fallback} when the build has no such parameter */
    public <T> T param(String name, Class<T> type, T fallback) {
        return params.containsKey(name) ? param(name, type) : fallback;
    }

    /** @return the pinned build of each dependency, fixed when this build was created */
    public Map<String, String> dependencyBuilds() {
        return pinned;
    }

    /**
     * The result of the dependency's pinned build (not its latest one: a dependency rebuilt while this build runs
     * does not change what this build reads).
     *
     * @param definitionId a direct dependency
     * @param type what to convert the stored JSON to
     * @return the result
     * @throws InvalidInputException if it is not a dependency or its build stored no result
     */
    public <T> T dependencyResult(String definitionId, Class<T> type) {
        String buildId = pinned.get(definitionId);
        if (buildId == null) {
            throw new InvalidInputException(
                    "dependency",
                    definitionId + " is not a dependency of " + definition.id() + "; its dependencies are "
                            + definition.dependencies());
        }
        JobSnapshot s = tally.snapshot(buildId)
                .orElseThrow(() -> new InvalidInputException(
                        "dependency", "the pinned build " + buildId + " of " + definitionId + " no longer exists"));
        if (s.state() != JobState.SUCCEEDED || s.resultJson().isEmpty()) {
            throw new InvalidInputException(
                    "dependency", "the pinned build " + buildId + " of " + definitionId + " has no result");
        }
        return RunnerJson.convert(
                "result of " + definitionId, RunnerJson.tree(s.resultJson().get()), type);
    }

    /**
     * @return a logger whose records are stored with the build at every level (and passed on to the application's
     *     logging). Plain SLF4J loggers are captured too while the build's MDC is set.
     */
    public Logger log() {
        return logger;
    }

    /** @return the build's throttled progress reporter (closed, so flushed, when the build ends) */
    public synchronized Reporter reporter() {
        if (reporter == null) {
            reporter = job.reporter();
            opened.add(reporter);
        }
        return reporter;
    }

    /**
     * @param name what the group counts
     * @param total its amount of work (0 if unknown)
     * @return a progress group whose counts roll up into the build's progress
     */
    public ProgressGroup group(String name, long total) {
        ProgressGroup g = new ProgressGroup(tally, job.id(), name, total);
        synchronized (this) {
            opened.add(g);
        }
        return g;
    }

    /**
     * Whether the build's job was cancelled (from the dashboard, the API, another process): a long build should check
     * it and stop. The runner looks for a cancel every {@link Runner.Builder#cancelCheck check interval} and on every
     * heartbeat, and the build's {@link #reporter()} learns of it from its writes; a build whose thread is
     * interrupted for it (the default, see {@link DefinitionOptions#interruptOnCancel}) may simply let the
     * {@link InterruptedException} end it. A cancelled build ends CANCELLED, whatever its function then returns or
     * throws. Never touches the store.
     */
    public boolean cancelled() {
        Reporter r;
        synchronized (this) {
            r = reporter;
        }
        return cancel.cancelled() || (r != null && r.cancelled());
    }

    /** @return the build's job */
    public Job job() {
        return job;
    }

    /** @return {@code task} running in this build's log context on any thread */
    public Runnable wrap(Runnable task) {
        return LogContext.wrap(task);
    }

    /** @return {@code task} running in this build's log context on any thread */
    public <T> Callable<T> wrap(Callable<T> task) {
        return LogContext.wrap(task);
    }

    /** @return an executor whose tasks run in the submitting thread's log context */
    public Executor wrap(Executor executor) {
        return LogContext.wrap(executor);
    }

    /** @return an executor service whose tasks run in the submitting thread's log context */
    public ExecutorService wrap(ExecutorService executor) {
        return LogContext.wrap(executor);
    }

    BuildLog buildLog() {
        return log;
    }

    /** Closes reporters and groups the build left open, so their counts are written before the build ends. */
    synchronized void closeOpened() {
        for (AutoCloseable c : opened) {
            try {
                c.close();
            } catch (Exception e) {
                logger.warn("closing {} at the end of the build failed", c, e);
            }
        }
        opened.clear();
    }
}
