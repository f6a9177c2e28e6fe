package io.tally.runner;

import io.tally.IllegalTransitionException;
import io.tally.Job;
import io.tally.JobNotFoundException;
import io.tally.JobSnapshot;
import io.tally.JobState;
import io.tally.Tally;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds run by workers ({@code dispatchBuilds(true)}), both sides. The requester publishes a PENDING build through the
 * dispatcher and follows it in the store ({@link #watch()}, every 100 ms) to complete its future. A worker claims it
 * with the store's guarded PENDING → RUNNING transition — exactly one claimer sees {@code changed} — and runs it with
 * the parameters and pins stored at its creation. A worker that dies stops renewing the heartbeat, and the sweep fails
 * the build as {@code stalled}.
 */
final class DispatchedBuilds {
    // Logs under the runner's name, as before the split, so existing logging configuration still applies.
    private static final Logger log = LoggerFactory.getLogger(Runner.class);

    private final Tally tally;
    private final DefinitionGraph graph;
    private final Supplier<Dispatcher> dispatcher;
    private final BuildExecution execution;
    /** The requester's side: the future of each build published from here and not yet seen ending. */
    private final Map<String, CompletableFuture<Build.Outcome>> published = new ConcurrentHashMap<>();

    /** @param dispatcher the runner's dispatcher, read when publishing (it is created after this) */
    DispatchedBuilds(Tally tally, DefinitionGraph graph, Supplier<Dispatcher> dispatcher, BuildExecution execution) {
        this.tally = tally;
        this.graph = graph;
        this.dispatcher = dispatcher;
        this.execution = execution;
    }

    /**
     * Publishes a PENDING build for the workers; a publish error fails the build (nothing is swallowed).
     *
     * @return completes when the build ends, in whatever process ran it
     */
    CompletableFuture<Build.Outcome> publish(Job job, String definitionId) {
        CompletableFuture<Build.Outcome> done = new CompletableFuture<>();
        published.put(job.id(), done);
        try {
            dispatcher.get().publish(WorkMessage.build(definitionId, job.id()));
        } catch (RuntimeException e) {
            published.remove(job.id());
            DispatchException failure = e instanceof DispatchException d
                    ? d
                    : new DispatchException("publishing build " + job.id() + " failed: " + e.getMessage(), e);
            job.fail(failure);
            return CompletableFuture.completedFuture(new Build.Outcome(job.id(), JobState.FAILED, null));
        }
        return done;
    }

    /** Completes the futures of published builds that ended (in any process); the runner calls it on a timer. */
    void watch() {
        for (Map.Entry<String, CompletableFuture<Build.Outcome>> e : published.entrySet()) {
            try {
                Optional<JobSnapshot> r = tally.snapshot(e.getKey());
                if (r.isEmpty() || r.get().state().isTerminal()) {
                    published.remove(e.getKey());
                    e.getValue()
                            .complete(new Build.Outcome(
                                    e.getKey(), r.map(JobSnapshot::state).orElse(JobState.FAILED), null));
                }
            } catch (RuntimeException storeDown) {
                log.debug("watching build {} failed: {}", e.getKey(), storeDown.toString());
            }
        }
    }

    /**
     * A worker's side of a dispatched build: claims it with the guarded PENDING → RUNNING transition (exactly one
     * claimer sees {@code changed}; a redelivered or already-claimed build is acknowledged and dropped) and runs it
     * with the parameters and pins stored at its creation.
     *
     * @throws DispatchException if this worker has no such definition (the message is delivered again, elsewhere)
     */
    void claimAndRun(WorkMessage m) {
        if (!graph.contains(m.name())) {
            throw new DispatchException("no definition '" + m.name() + "' in this worker");
        }
        Definition def = graph.get(m.name());
        Job job = tally.get(m.jobId());
        Optional<JobSnapshot> claim;
        try {
            claim = job.claim();
        } catch (JobNotFoundException | IllegalTransitionException goneOrEnded) {
            return;
        }
        if (claim.isEmpty()) {
            return; // another worker runs it
        }
        BuildMetadata meta = BuildMetadata.of(claim.get().record());
        if (!def.version().equals(meta.version())) {
            // Other code than the requester planned: fail rather than store a result it did not ask for.
            job.fail(new IllegalStateException("worker has version " + def.version() + " of " + def.id()
                    + " but the build asks for version " + meta.version()));
            return;
        }
        Map<String, Object> params = new LinkedHashMap<>(def.params());
        meta.params().forEach((k, v) -> {
            if (!(def.secretParams().contains(k) && "***".equals(v))) {
                params.put(k, v); // stored overrides; masked secrets keep the worker's own value
            }
        });
        // Renew at the pace of the lease the requester gave the build, whatever this worker's own setting.
        execution.run(def, job, params, meta.pinned(), claim.get().record().heartbeat());
    }
}
