package io.tally.runner;

import io.tally.Job;
import io.tally.JobSnapshot;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.Tally;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs what {@link BuildPlanner} planned: one {@code CompletableFuture} per definition, chained after its dependencies'
 * futures, so no thread blocks waiting for another and independent branches run in parallel on the executor. When a
 * definition's turn comes its build's job is created with its pins, then run here ({@link BuildExecution}) or
 * published for a worker ({@link DispatchedBuilds}).
 */
final class BuildScheduler {
    // Logs under the runner's name, as before the split, so existing logging configuration still applies.
    private static final Logger log = LoggerFactory.getLogger(Runner.class);

    private final Tally tally;
    private final DefinitionGraph graph;
    private final ExecutorService executor;
    private final Duration heartbeat;
    private final boolean dispatchBuilds;
    private final BuildExecution execution;
    private final DispatchedBuilds dispatched;
    /** The build of each definition this runner is building now; a later request waits for it, not builds again. */
    private final Map<String, CompletableFuture<Build.Outcome>> inFlight = new ConcurrentHashMap<>();

    /**
     * @param heartbeat the lease given to each build's job, or null for none
     * @param dispatchBuilds true to publish builds for workers instead of running them here
     */
    BuildScheduler(
            Tally tally,
            DefinitionGraph graph,
            ExecutorService executor,
            Duration heartbeat,
            boolean dispatchBuilds,
            BuildExecution execution,
            DispatchedBuilds dispatched) {
        this.tally = tally;
        this.graph = graph;
        this.executor = executor;
        this.heartbeat = heartbeat;
        this.dispatchBuilds = dispatchBuilds;
        this.execution = execution;
        this.dispatched = dispatched;
    }

    /** @return the definitions building in this runner now: a live, unmodifiable view */
    Set<String> building() {
        return Collections.unmodifiableSet(inFlight.keySet());
    }

    /**
     * Chains one future per planned definition after the futures of its dependencies (planned here or already in
     * flight); nothing blocks a thread.
     *
     * @param ids build ids chosen by the caller (the requested build's, so its handle exists before its job)
     * @param overrides parameter overrides per definition
     * @return the future of each planned definition
     */
    Map<String, CompletableFuture<Build.Outcome>> schedule(
            Set<String> plan, Map<String, String> ids, Map<String, Map<String, Object>> overrides) {
        Map<String, CompletableFuture<Build.Outcome>> futures = new LinkedHashMap<>();
        for (String id : graph.sorted(plan)) {
            Map<String, CompletableFuture<Build.Outcome>> deps = new HashMap<>();
            for (String x : graph.get(id).dependencies()) {
                CompletableFuture<Build.Outcome> f = futures.containsKey(x) ? futures.get(x) : inFlight.get(x);
                if (f != null) {
                    deps.put(x, f);
                }
            }
            String buildId = ids.containsKey(id) ? ids.get(id) : BuildIds.next(tally.clock());
            Map<String, Object> override = overrides.getOrDefault(id, Map.of());
            // Everything chained on f (dependents, the caller's await) runs after f left inFlight, so a status read
            // after await() never sees a finished build as still building.
            CompletableFuture<Build.Outcome> f = new CompletableFuture<>();
            futures.put(id, f);
            inFlight.put(id, f);
            // Carried: the job is created on the executor, but belongs to the request made on this thread (its trace).
            Supplier<CompletableFuture<Build.Outcome>> node = tally.carry(() -> runNode(id, buildId, override, deps));
            CompletableFuture.allOf(deps.values().toArray(new CompletableFuture<?>[0]))
                    .handleAsync((ignored, error) -> node.get(), executor)
                    .thenCompose(outcome -> outcome)
                    .whenComplete((o, e) -> {
                        inFlight.remove(id, f);
                        if (e != null) {
                            f.completeExceptionally(e);
                        } else {
                            f.complete(o);
                        }
                    });
        }
        return futures;
    }

    /**
     * Creates the build's job with its pins (its dependencies in the request have ended) and runs it here, or — with
     * {@code dispatchBuilds} — publishes it for a worker and watches the store for its end.
     */
    private CompletableFuture<Build.Outcome> runNode(
            String id,
            String buildId,
            Map<String, Object> override,
            Map<String, CompletableFuture<Build.Outcome>> deps) {
        try {
            Definition def = graph.get(id);
            StatusInspector in = new StatusInspector(tally, graph, building());
            Map<String, String> pinned = new LinkedHashMap<>();
            List<String> unmet = new ArrayList<>();
            for (String x : def.dependencies()) {
                String pin = null;
                CompletableFuture<Build.Outcome> f = deps.get(x);
                Build.Outcome o = f == null ? null : f.join();
                if (o != null && o.state() == JobState.SUCCEEDED) {
                    pin = o.buildId();
                } else if (o == null || o.state() == JobState.SKIPPED) {
                    // Not built in this request, or its build found nothing to do: its latest success stands.
                    pin = in.latestSuccessful(x).map(JobSnapshot::id).orElse(null);
                }
                if (pin == null) {
                    unmet.add(x);
                } else {
                    pinned.put(x, pin);
                }
            }
            Map<String, Object> params = new LinkedHashMap<>(def.params());
            params.putAll(override);
            BuildMetadata meta = new BuildMetadata(
                    id, def.version(), params, pinned, RunnerJson.fingerprint(params, def.version(), pinned));
            JobSpec.Builder spec = JobSpec.builder()
                    .id(buildId)
                    .name(id)
                    .metadata(meta.toMap(def.title(), def.tags(), def.secretParams()))
                    .start(unmet.isEmpty() && !dispatchBuilds);
            def.timeout().ifPresent(spec::timeout);
            if (heartbeat != null) {
                spec.heartbeat(heartbeat);
            }
            Job job = tally.create(spec.build());
            if (!unmet.isEmpty()) {
                job.fail(new DependenciesNotMetException(unmet));
                return CompletableFuture.completedFuture(new Build.Outcome(buildId, JobState.FAILED, null));
            }
            if (dispatchBuilds) {
                return dispatched.publish(job, id);
            }
            return CompletableFuture.completedFuture(execution.run(def, job, params, pinned, heartbeat));
        } catch (RuntimeException | Error e) {
            log.error("build {} of {} could not be run", buildId, id, e);
            return CompletableFuture.completedFuture(new Build.Outcome(buildId, JobState.FAILED, e));
        }
    }
}
