package io.tally.runner;

import io.tally.JobError;
import io.tally.JobSnapshot;
import io.tally.JobState;
import io.tally.Progress;
import io.tally.TallyException;
import io.tally.store.LogEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A handle on one build: a Tally job named after its definition. Reads go to the store, so a handle sees what any
 * process did to the build. A build requested in this process is created once its dependencies in the same request
 * are done, so until then {@link #state()} is PENDING and the store holds no job for {@link #id()} yet.
 */
public final class Build {
    private final Runner runner;
    private final String id;
    private final String definitionId;
    private final CompletableFuture<Outcome> outcome;
    private final CompletableFuture<?> request;

    Build(
            Runner runner,
            String id,
            String definitionId,
            CompletableFuture<Outcome> outcome,
            CompletableFuture<?> request) {
        this.runner = runner;
        this.id = id;
        this.definitionId = definitionId;
        this.outcome = outcome;
        this.request = request;
    }

    /** @return the build id (the job id) */
    public String id() {
        return id;
    }

    /** @return the definition built */
    public String definitionId() {
        return definitionId;
    }

    /**
     * Waits until this build ended — and, when it was requested with {@code buildDependents(true)}, until the
     * dependents it triggered ended too. For a build loaded from the store, polls until the job is terminal.
     *
     * @return this build
     */
    public Build await() {
        if (request != null) {
            request.join();
            return this;
        }
        Waiter.until(() -> state().isTerminal(), null);
        return this;
    }

    /**
     * Like {@link #await()}, waiting at most {@code timeout} (real time).
     *
     * @return true if the build (and what it triggered) ended in time
     */
    public boolean await(Duration timeout) {
        if (request != null) {
            try {
                request.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                return true;
            } catch (TimeoutException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TallyException("interrupted while waiting for build " + id, e);
            } catch (ExecutionException e) {
                throw new TallyException("build request " + id + " failed", e.getCause());
            }
        }
        return Waiter.until(() -> state().isTerminal(), timeout);
    }

    /** @return the build's job, read fresh, once it was created */
    public Optional<JobSnapshot> snapshot() {
        return runner.tally().snapshot(id);
    }

    /**
     * @return the build's state: PENDING while it waits for its dependencies (before its job exists), FAILED if its
     *     job could not even be created
     */
    public JobState state() {
        Optional<JobSnapshot> s = snapshot();
        if (s.isPresent()) {
            return s.get().state();
        }
        Outcome o = outcome == null ? null : outcome.getNow(null);
        return o != null && o.failure() != null ? JobState.FAILED : JobState.PENDING;
    }

    /** @return the result of a SUCCEEDED build, converted from its stored JSON */
    public <T> Optional<T> result(Class<T> type) {
        return snapshot()
                .filter(s -> s.state() == JobState.SUCCEEDED)
                .flatMap(JobSnapshot::resultJson)
                .map(json -> RunnerJson.convert("result", RunnerJson.tree(json), type));
    }

    /** @return the error of a FAILED build: message, exception type, stack text and reason */
    public Optional<JobError> error() {
        Optional<JobSnapshot> s = snapshot();
        if (s.isPresent()) {
            return s.get().error();
        }
        Outcome o = outcome == null ? null : outcome.getNow(null);
        return o == null || o.failure() == null ? Optional.empty() : Optional.of(JobError.of(o.failure()));
    }

    /** @return every stored log record of the build, oldest first; {@code toString()} shows time, level and message */
    public List<LogEntry> logs() {
        List<LogEntry> out = new ArrayList<>();
        if (snapshot().isEmpty()) {
            return out;
        }
        long after = 0;
        while (true) {
            List<LogEntry> page = runner.tally().get(id).logs(after, 1000);
            out.addAll(page);
            if (page.size() < 1000) {
                return out;
            }
            after = page.get(page.size() - 1).seq();
        }
    }

    /** @return the dependency builds pinned when this build was created, by definition id */
    public Map<String, String> dependencyBuilds() {
        return snapshot().map(s -> BuildMetadata.of(s.record()).pinned()).orElse(Map.of());
    }

    /** @return the input fingerprint (parameters, definition version, pinned dependency builds) */
    public Optional<String> fingerprint() {
        return snapshot().map(s -> BuildMetadata.of(s.record()).fingerprint());
    }

    /** @return the build's progress rolled up with its progress groups */
    public Optional<Progress> progress() {
        return snapshot().map(JobSnapshot::rollup);
    }

    @Override
    public String toString() {
        return "Build{" + definitionId + " " + id + " " + state() + "}";
    }

    /** What running one node of a request came to. */
    record Outcome(String buildId, JobState state, Throwable failure) {}
}
