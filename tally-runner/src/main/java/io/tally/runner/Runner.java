package io.tally.runner;

import io.tally.IllegalTransitionException;
import io.tally.InvalidInputException;
import io.tally.Job;
import io.tally.JobFinishedException;
import io.tally.JobNotFoundException;
import io.tally.JobQuery;
import io.tally.JobSnapshot;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.Page;
import io.tally.Tally;
import io.tally.store.JobRecord;
import io.tally.store.Transition;
import io.tally.store.TransitionResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs job definitions as tracked builds (jobcontrol's model) and map-reduce jobs through a {@link Dispatcher}
 * (watchbot's model), on a {@link Tally} store.
 *
 * <pre>{@code
 * Runner runner = Runner.builder(tally)
 *     .define("fetch", ctx -> download(ctx.param("url", String.class)), Definition.options().param("url", "https://…"))
 *     .define("parse", ctx -> parse(ctx.dependencyResult("fetch", Path.class)), Definition.dependsOn("fetch"))
 *     .build();
 * Build b = runner.build("parse", BuildOptions.defaults().buildDependencies(true));
 * b.await(); b.state(); b.result(Path.class); b.error(); b.logs();
 * runner.status("parse");   // NOT_BUILT, BUILDING, SUCCEEDED, FAILED, OUTDATED
 * runner.outdated();        // every definition that needs a rebuild, in dependency order
 * }</pre>
 *
 * <p><b>Builds.</b> A build is a Tally job named after its definition. Its metadata holds its parameters, the build
 * id of each dependency pinned when the build was created, and an input fingerprint (SHA-256 of the parameters, the
 * definition version and the pinned builds). A build's job is created when it is about to run — after the
 * dependencies built in the same request ended — so what it pins is what it reads. Its result is the function's
 * return value as JSON; a failure stores the exception's type, message and stack text; {@link SkipBuild} ends it
 * SKIPPED. Everything logged while it runs is stored with it (see {@link LogContext}).
 *
 * <p><b>Status.</b> A definition's status comes from its latest <em>decisive</em> build (SUCCEEDED or FAILED;
 * SKIPPED and CANCELLED builds change nothing). A succeeded build is OUTDATED when any transitive dependency has a
 * newer successful build than the one it (or the build it pinned, and so on) used, or when its fingerprint no
 * longer matches the definition's current parameters and version.
 *
 * <p>Thread-safe. Close it to stop its threads (it does not close the {@link Tally}).
 */
public final class Runner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Runner.class);
    private static final int PAGE = 100;

    private final Tally tally;
    private final DefinitionGraph graph;
    private final ExecutorService executor;
    private final boolean ownsExecutor;
    private final LogRetention retention;
    private final int logBatchSize;
    private final ScheduledExecutorService flusher;
    private final boolean capturingLogs;
    private final java.time.Duration heartbeat;
    private final boolean dispatchBuilds;
    private final Map<String, CompletableFuture<Build.Outcome>> remote = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Build.Outcome>> inFlight = new ConcurrentHashMap<>();
    final MapReduces mapReduces;

    private Runner(Builder b) {
        this.tally = b.tally;
        this.graph = new DefinitionGraph(b.definitions);
        this.ownsExecutor = b.executor == null;
        this.executor = b.executor != null ? b.executor : Executors.newCachedThreadPool(daemon("tally-build"));
        this.retention = b.retention;
        this.logBatchSize = b.logBatchSize;
        this.heartbeat = b.heartbeat;
        this.dispatchBuilds = b.dispatchBuilds;
        this.capturingLogs = b.captureLogs && installCapture();
        this.flusher = Executors.newSingleThreadScheduledExecutor(daemon("tally-log-flush"));
        this.flusher.scheduleWithFixedDelay(
                BuildLog::flushAll, b.logFlushMillis, b.logFlushMillis, TimeUnit.MILLISECONDS);
        this.mapReduces = new MapReduces(this, b.dispatcher, b.workerThreads, b.mapReduceSpecs);
        if (dispatchBuilds) {
            this.flusher.scheduleWithFixedDelay(this::watchRemote, 50, 100, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * @param tally the store builds are tracked in
     * @return a builder for a runner on it
     */
    public static Builder builder(Tally tally) {
        if (tally == null) {
            throw new InvalidInputException("tally", "must not be null");
        }
        return new Builder(tally);
    }

    /** Builds a definition with the default options. See {@link #build(String, BuildOptions)}. */
    public Build build(String definitionId) {
        return build(definitionId, BuildOptions.defaults());
    }

    /**
     * Starts a build of {@code definitionId} and returns at once; {@link Build#await()} waits for it.
     *
     * <p>With {@code buildDependencies(false)} a dependency without a successful build fails the build with
     * "dependencies not met: X". With {@code buildDependencies(true)} the transitive dependencies that are not built,
     * failed or outdated are built first (each after what it depends on, independent branches in parallel; a
     * dependency already building in this runner is waited for, not built twice). With {@code buildDependents(true)}
     * a successful build is followed by builds of every transitive dependent.
     *
     * @throws InvalidInputException if there is no such definition
     */
    public Build build(String definitionId, BuildOptions options) {
        graph.get(definitionId);
        if (options == null) {
            throw new InvalidInputException("options", "must not be null");
        }
        String buildId = BuildIds.next(tally.clock());
        Set<String> plan = plan(List.of(definitionId), options.buildDependencies());
        Map<String, CompletableFuture<Build.Outcome>> futures =
                schedule(plan, Map.of(definitionId, buildId), Map.of(definitionId, options.params()));
        CompletableFuture<Build.Outcome> target = futures.get(definitionId);
        CompletableFuture<?> request = target.thenCompose(o -> {
            if (o.state() != JobState.SUCCEEDED || !options.buildDependents()) {
                return CompletableFuture.completedFuture(null);
            }
            List<String> downstream = graph.transitiveDependents(definitionId);
            if (downstream.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            Set<String> next = plan(downstream, options.buildDependencies());
            next.remove(definitionId);
            return CompletableFuture.allOf(
                    schedule(next, Map.of(), Map.of()).values().toArray(new CompletableFuture<?>[0]));
        });
        return new Build(this, buildId, definitionId, target, request);
    }

    /** @return the definition's status, read from the store (and this runner's in-flight builds) */
    public BuildStatus status(String definitionId) {
        graph.get(definitionId);
        return new Inspector().status(definitionId);
    }

    /** @return the ids of every OUTDATED definition, in dependency order (each after what it depends on) */
    public List<String> outdated() {
        Inspector in = new Inspector();
        List<String> out = new ArrayList<>();
        for (String id : graph.order()) {
            if (in.status(id) == BuildStatus.OUTDATED) {
                out.add(id);
            }
        }
        return out;
    }

    /** @return every definition, each after what it depends on */
    public List<Definition> definitions() {
        return graph.order().stream().map(graph::get).toList();
    }

    /** @return the definition with this id */
    public Optional<Definition> definition(String id) {
        return graph.contains(id) ? Optional.of(graph.get(id)) : Optional.empty();
    }

    /** @return the ids of the definitions that depend on {@code id} directly */
    public List<String> dependentsOf(String id) {
        graph.get(id);
        return List.copyOf(graph.dependentsOf(id));
    }

    /** @return up to {@code limit} builds of a definition, newest first */
    public List<Build> builds(String definitionId, int limit) {
        graph.get(definitionId);
        List<Build> out = new ArrayList<>();
        for (JobRecord r : runnerBuilds(definitionId, null, limit)) {
            out.add(handle(r.id(), definitionId));
        }
        return out;
    }

    /** @return a handle on an existing build */
    public Optional<Build> findBuild(String buildId) {
        return tally.snapshot(buildId)
                .filter(s -> BuildMetadata.isBuild(s.record()))
                .map(s -> handle(s.id(), s.name()));
    }

    /** @return the newest successful build of a definition */
    public Optional<Build> latestSuccessfulBuild(String definitionId) {
        graph.get(definitionId);
        return new Inspector().latestSuccessful(definitionId).map(s -> handle(s.id(), definitionId));
    }

    /**
     * Starts a map-reduce job: creates a job with one part per payload, publishes one map message per part through
     * the dispatcher, runs {@code partFn} for each delivered part with the core's {@code runPart} semantics, and runs
     * {@code reduceFn} exactly once, with every part's result, when the last part is done. Registers the functions
     * under {@code name} so that this runner's worker side can run the parts.
     *
     * @param name the job name and the key workers find the functions by
     * @param parts the part payloads (JSON objects: maps, POJOs or JSON text)
     * @throws DispatchException if a map message could not be published; the job is failed first
     */
    public MapReduceJob mapReduce(
            String name, List<?> parts, PartFunction partFn, ReduceFunction reduceFn, MapReduceOptions options) {
        mapReduces.register(name, partFn, reduceFn, options);
        return mapReduces.start(name, parts);
    }

    /**
     * Starts a map-reduce job whose functions were registered with {@link Builder#mapReduce}. See
     * {@link #mapReduce(String, List, PartFunction, ReduceFunction, MapReduceOptions)}.
     */
    public MapReduceJob mapReduce(String name, List<?> parts) {
        return mapReduces.start(name, parts);
    }

    /**
     * Runs the reduce of a settled map-reduce job again, on this thread: for a job whose reduce job is missing (its
     * worker died right after the settle) or FAILED (the reduce threw, or its worker died and the sweep failed it as
     * {@code stalled}). Concurrent calls run it at most once (the reduce job's id is fixed).
     *
     * @throws InvalidInputException if the job has not settled, its reduce did not fail, or its functions are not
     *     registered here
     */
    public MapReduceJob rerunReduce(String jobId) {
        return mapReduces.rerunReduce(jobId);
    }

    /** @return a handle on an existing map-reduce job */
    public MapReduceJob mapReduceJob(String jobId) {
        return new MapReduceJob(tally, tally.get(jobId).id());
    }

    /**
     * Handles one dispatched message: what a {@link Dispatcher} calls for each delivery. Returning normally means the
     * message is done (acknowledge it); an exception means it should be delivered again.
     */
    public void handle(WorkMessage message) throws Exception {
        if (WorkMessage.BUILD.equals(message.kind())) {
            runDispatchedBuild(message);
        } else {
            mapReduces.handle(message);
        }
    }

    /** @return the Tally this runner tracks builds in */
    public Tally tally() {
        return tally;
    }

    /** @return the heartbeat lease of builds and reduce jobs, or null when heartbeats are off */
    java.time.Duration heartbeatLease() {
        return heartbeat;
    }

    LogRetention retention() {
        return retention;
    }

    /** @return true if SLF4J events of builds are captured (Logback is the SLF4J backend) */
    public boolean capturingLogs() {
        return capturingLogs;
    }

    /** Stops the dispatcher and the runner's own threads; running builds are not waited for. */
    @Override
    public void close() {
        mapReduces.close();
        flusher.shutdownNow();
        if (ownsExecutor) {
            executor.shutdownNow();
        }
    }

    // ---- planning and running builds ----

    /**
     * The definitions a request builds: the seeds, plus (when building dependencies) every transitive dependency that
     * is not built, failed or outdated, or depends on one that will be rebuilt. Dependencies already building in this
     * runner are left out: their running build is waited for instead.
     */
    private Set<String> plan(List<String> seeds, boolean buildDependencies) {
        Set<String> plan = new LinkedHashSet<>(seeds);
        if (!buildDependencies) {
            return plan;
        }
        Set<String> candidates = new LinkedHashSet<>();
        for (String s : seeds) {
            candidates.addAll(graph.transitiveDependencies(s));
        }
        Inspector in = new Inspector();
        for (String d : graph.sorted(candidates)) {
            if (plan.contains(d) || inFlight.containsKey(d)) {
                continue;
            }
            boolean depRebuilt =
                    graph.get(d).dependencies().stream().anyMatch(x -> plan.contains(x) || inFlight.containsKey(x));
            BuildStatus s = in.status(d);
            if (depRebuilt || s == BuildStatus.NOT_BUILT || s == BuildStatus.FAILED || s == BuildStatus.OUTDATED) {
                plan.add(d);
            }
        }
        return plan;
    }

    /** Chains one future per planned definition after the futures of its dependencies; nothing blocks a thread. */
    private Map<String, CompletableFuture<Build.Outcome>> schedule(
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
            CompletableFuture.allOf(deps.values().toArray(new CompletableFuture<?>[0]))
                    .handleAsync((ignored, error) -> runNode(id, buildId, override, deps), executor)
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
            Inspector in = new Inspector();
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
                return dispatch(job, id);
            }
            return CompletableFuture.completedFuture(execute(def, job, params, pinned, heartbeat));
        } catch (RuntimeException | Error e) {
            log.error("build {} of {} could not be run", buildId, id, e);
            return CompletableFuture.completedFuture(new Build.Outcome(buildId, JobState.FAILED, e));
        }
    }

    /** Publishes a PENDING build for the workers; a publish error fails the build (nothing is swallowed). */
    private CompletableFuture<Build.Outcome> dispatch(Job job, String definitionId) {
        CompletableFuture<Build.Outcome> done = new CompletableFuture<>();
        remote.put(job.id(), done);
        try {
            mapReduces.dispatcher().publish(WorkMessage.build(definitionId, job.id()));
        } catch (RuntimeException e) {
            remote.remove(job.id());
            DispatchException failure = e instanceof DispatchException d
                    ? d
                    : new DispatchException("publishing build " + job.id() + " failed: " + e.getMessage(), e);
            job.fail(failure);
            return CompletableFuture.completedFuture(new Build.Outcome(job.id(), JobState.FAILED, null));
        }
        return done;
    }

    /** Completes the futures of dispatched builds that ended (in any process); runs on the flusher thread. */
    private void watchRemote() {
        for (Map.Entry<String, CompletableFuture<Build.Outcome>> e : remote.entrySet()) {
            try {
                Optional<JobRecord> r = tally.store().find(e.getKey());
                if (r.isEmpty() || r.get().state().isTerminal()) {
                    remote.remove(e.getKey());
                    e.getValue()
                            .complete(new Build.Outcome(
                                    e.getKey(), r.map(JobRecord::state).orElse(JobState.FAILED), null));
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
     */
    private void runDispatchedBuild(WorkMessage m) {
        if (!graph.contains(m.name())) {
            throw new DispatchException("no definition '" + m.name() + "' in this worker");
        }
        Definition def = graph.get(m.name());
        TransitionResult claim;
        try {
            claim = tally.store().transition(m.jobId(), Transition.start());
        } catch (JobNotFoundException | IllegalTransitionException goneOrEnded) {
            return;
        }
        if (!claim.changed()) {
            return; // another worker runs it
        }
        Job job = tally.get(m.jobId());
        BuildMetadata meta = BuildMetadata.of(claim.record());
        if (!def.version().equals(meta.version())) {
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
        execute(def, job, params, meta.pinned(), claim.record().heartbeat());
    }

    private Build.Outcome execute(
            Definition def, Job job, Map<String, Object> params, Map<String, String> pinned, java.time.Duration lease) {
        BuildLog buildLog = BuildLog.open(tally.store(), job.id(), tally.clock(), retention, logBatchSize);
        BuildContext ctx = new BuildContext(
                tally,
                def,
                job,
                RunnerJson.unmodifiable(params),
                java.util.Collections.unmodifiableMap(pinned),
                buildLog);
        Object result = null;
        Throwable failure = null;
        boolean skipped = false;
        ScheduledFuture<?> beat = startHeartbeat(job, lease);
        try {
            result = LogContext.withBuild(job.id(), () -> def.function().run(ctx));
        } catch (SkipBuild s) {
            skipped = true;
            ctx.log().info("build skipped: {}", s.getMessage());
        } catch (Exception | Error e) {
            failure = e;
        }
        if (def.cleanup().isPresent()) {
            try {
                LogContext.withBuild(job.id(), () -> {
                    def.cleanup().get().cleanup(ctx);
                    return null;
                });
            } catch (Exception | Error e) {
                if (failure == null) {
                    failure = e;
                    skipped = false;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        ctx.closeOpened();
        if (beat != null) {
            beat.cancel(false);
        }
        if (failure != null) {
            ctx.log().error("build failed: {}", String.valueOf(failure));
        }
        try {
            buildLog.close();
        } catch (RuntimeException e) {
            log.warn("the log of build {} could not be written completely", job.id(), e);
        }
        try {
            if (failure == null && !skipped) {
                try {
                    job.finish(result);
                } catch (InvalidInputException badResult) {
                    failure = badResult; // not JSON, or too large: the build fails rather than lose its result
                }
            }
            if (failure != null) {
                job.fail(failure);
            } else if (skipped) {
                job.skip();
            }
        } catch (IllegalTransitionException | JobFinishedException endedElsewhere) {
            // Swept as timed out, or cancelled, while the function ran: the stored state stands.
            log.info("build {} ended elsewhere before it finished: {}", job.id(), endedElsewhere.getMessage());
        }
        JobState state = tally.snapshot(job.id()).map(JobSnapshot::state).orElse(JobState.FAILED);
        return new Build.Outcome(job.id(), state, null);
    }

    /**
     * Renews the build's lease while its function runs (on the flusher thread, in real time), so that a build whose
     * process died is failed as {@code stalled} by the next sweep after the lease lapses.
     */
    ScheduledFuture<?> startHeartbeat(Job job, java.time.Duration lease) {
        if (lease == null) {
            return null;
        }
        long every = Math.max(10, lease.toMillis() / 3);
        return flusher.scheduleWithFixedDelay(
                () -> {
                    try {
                        job.heartbeat();
                    } catch (RuntimeException e) {
                        // Ended elsewhere (swept, cancelled) or the store is briefly down: the next beat retries.
                        log.debug("heartbeat of build {} failed: {}", job.id(), e.toString());
                    }
                },
                every,
                every,
                TimeUnit.MILLISECONDS);
    }

    private Build handle(String buildId, String definitionId) {
        return new Build(this, buildId, definitionId, null, null);
    }

    /** Builds of a definition, newest first, skipping jobs of the same name that are not builds. */
    private List<JobRecord> runnerBuilds(String definitionId, JobState state, int limit) {
        List<JobRecord> out = new ArrayList<>();
        JobQuery.Builder q = JobQuery.builder().name(definitionId).limit(Math.min(PAGE, Math.max(1, limit)));
        if (state != null) {
            q.state(state);
        }
        JobQuery query = q.build();
        while (out.size() < limit) {
            Page<JobRecord> page = tally.store().query(query);
            for (JobRecord r : page.items()) {
                if (out.size() < limit && BuildMetadata.isBuild(r)) {
                    out.add(r);
                }
            }
            if (page.next().isEmpty()) {
                break;
            }
            query = query.toBuilder().cursor(page.next().get()).build();
        }
        return out;
    }

    /** Reads statuses, memoizing store reads for the duration of one question. */
    private final class Inspector {
        private final Map<String, Optional<JobSnapshot>> latest = new HashMap<>();
        private final Map<String, Boolean> outdated = new HashMap<>();

        BuildStatus status(String id) {
            if (inFlight.containsKey(id)
                    || !runnerBuilds(id, JobState.RUNNING, 1).isEmpty()
                    || !runnerBuilds(id, JobState.PENDING, 1).isEmpty()) {
                return BuildStatus.BUILDING;
            }
            Optional<JobRecord> decisive = latestDecisive(id);
            if (decisive.isEmpty()) {
                return BuildStatus.NOT_BUILT;
            }
            if (decisive.get().state() == JobState.FAILED) {
                return BuildStatus.FAILED;
            }
            return isOutdated(graph.get(id), decisive.get()) ? BuildStatus.OUTDATED : BuildStatus.SUCCEEDED;
        }

        Optional<JobSnapshot> latestSuccessful(String id) {
            return latest.computeIfAbsent(
                    id,
                    k -> runnerBuilds(k, JobState.SUCCEEDED, 1).stream()
                            .findFirst()
                            .flatMap(r -> tally.snapshot(r.id())));
        }

        /** The newest build that SUCCEEDED or FAILED; skipped and cancelled builds decide nothing. */
        private Optional<JobRecord> latestDecisive(String id) {
            JobQuery query = JobQuery.builder().name(id).limit(PAGE).build();
            while (true) {
                Page<JobRecord> page = tally.store().query(query);
                for (JobRecord r : page.items()) {
                    if ((r.state() == JobState.SUCCEEDED || r.state() == JobState.FAILED) && BuildMetadata.isBuild(r)) {
                        return Optional.of(r);
                    }
                }
                if (page.next().isEmpty()) {
                    return Optional.empty();
                }
                query = query.toBuilder().cursor(page.next().get()).build();
            }
        }

        /**
         * A succeeded build is outdated when its fingerprint no longer matches the definition (parameters, version),
         * or when for some dependency the latest successful build is not the pinned one, or that build is itself
         * outdated — so a newer build anywhere upstream is seen, however deep.
         */
        boolean isOutdated(Definition def, JobRecord build) {
            Boolean known = outdated.get(build.id());
            if (known != null) {
                return known;
            }
            BuildMetadata meta = BuildMetadata.of(build);
            boolean result = !RunnerJson.fingerprint(def.params(), def.version(), meta.pinned())
                    .equals(meta.fingerprint());
            for (String x : def.dependencies()) {
                if (result) {
                    break;
                }
                String pin = meta.pinned().get(x);
                Optional<JobSnapshot> newest = latestSuccessful(x);
                result = pin == null
                        || newest.isEmpty()
                        || !newest.get().id().equals(pin)
                        || isOutdated(graph.get(x), newest.get().record());
            }
            outdated.put(build.id(), result);
            return result;
        }
    }

    private static boolean installCapture() {
        try {
            boolean ok = LogCapture.install();
            if (!ok) {
                log.info("SLF4J's backend is not Logback: only ctx.log() records are stored with builds");
            }
            return ok;
        } catch (LinkageError noLogback) {
            log.info("ch.qos.logback:logback-classic is not on the class path: only ctx.log() records are stored"
                    + " with builds");
            return false;
        }
    }

    static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Builds a {@link Runner}. Every setting is checked when set; definitions may name dependencies defined later,
     * unknown ones are rejected by {@link #build()}, and a cycle is rejected by the {@code define} that closes it.
     *
     * <table>
     * <caption>Settings</caption>
     * <tr><th>setting</th><th>default</th></tr>
     * <tr><td>{@code executor}</td><td>a cached pool of daemon threads {@code tally-build-N}, closed with the
     * runner</td></tr>
     * <tr><td>{@code dispatcher}</td><td>an {@link InProcessDispatcher} on {@code workerThreads} threads</td></tr>
     * <tr><td>{@code workerThreads}</td><td>max(2, available processors)</td></tr>
     * <tr><td>{@code logRetention}</td><td>{@link LogRetention#defaults()}</td></tr>
     * <tr><td>{@code logBatchSize}</td><td>200 records per {@code appendLogs}</td></tr>
     * <tr><td>{@code logFlushInterval}</td><td>1 s: buffered records are written at least this often</td></tr>
     * <tr><td>{@code heartbeat}</td><td>1 min lease, renewed every 20 s while a build runs</td></tr>
     * <tr><td>{@code captureLogs}</td><td>true: attach a {@link TallyLogAppender} to Logback's root logger</td></tr>
     * </table>
     */
    public static final class Builder {
        private final Tally tally;
        private final Map<String, Definition> definitions = new LinkedHashMap<>();
        private final Map<String, MapReduces.Spec> mapReduceSpecs = new LinkedHashMap<>();
        private ExecutorService executor;
        private Dispatcher dispatcher;
        private int workerThreads = Math.max(2, Runtime.getRuntime().availableProcessors());
        private LogRetention retention = LogRetention.defaults();
        private int logBatchSize = 200;
        private long logFlushMillis = 1000;
        private boolean captureLogs = true;
        private java.time.Duration heartbeat = java.time.Duration.ofMinutes(1);
        private boolean dispatchBuilds;

        private Builder(Tally tally) {
            this.tally = tally;
        }

        /** Defines a job without dependencies or options. */
        public Builder define(String id, BuildFunction function) {
            return define(id, function, Definition.options());
        }

        /**
         * Defines a job.
         *
         * @param id the definition id (1–128 of {@code A-Z a-z 0-9 . _ : -}); its builds are jobs with this name
         * @param function the work
         * @param options dependencies, parameters, cleanup, title, tags, timeout, version
         * @throws InvalidInputException if the id is taken, or the definition closes a dependency cycle
         */
        public Builder define(String id, BuildFunction function, DefinitionOptions options) {
            if (options == null) {
                throw new InvalidInputException("options", "must not be null");
            }
            Definition d = new Definition(id, function, options);
            if (definitions.containsKey(id)) {
                throw new InvalidInputException("id", "definition " + id + " is already defined");
            }
            definitions.put(id, d);
            try {
                DefinitionGraph.checkAcyclic(definitions);
            } catch (InvalidInputException cycle) {
                definitions.remove(id);
                throw cycle;
            }
            return this;
        }

        /**
         * Defines every job of a JSON or YAML definitions file whose functions are named {@code com.example.Jobs#method}
         * (format in the module README). Functions are resolved now, with the thread's context class loader.
         *
         * @throws InvalidInputException if the file cannot be read, or a class or method is missing
         */
        public Builder definitions(java.nio.file.Path file) {
            if (file == null) {
                throw new InvalidInputException("file", "must not be null");
            }
            ClassLoader loader = Thread.currentThread().getContextClassLoader();
            DefinitionsFile.load(file, loader != null ? loader : Runner.class.getClassLoader(), this);
            return this;
        }

        /** Registers map-reduce functions under {@code name}, for {@link Runner#mapReduce(String, List)} and workers. */
        public Builder mapReduce(String name, PartFunction partFn, ReduceFunction reduceFn, MapReduceOptions options) {
            mapReduceSpecs.put(name, MapReduces.Spec.of(name, partFn, reduceFn, options));
            return this;
        }

        /** @param executor runs builds; the runner does not shut it down */
        public Builder executor(ExecutorService executor) {
            if (executor == null) {
                throw new InvalidInputException("executor", "must not be null");
            }
            this.executor = executor;
            return this;
        }

        /** @param dispatcher carries map messages to workers; the runner starts it and closes it */
        public Builder dispatcher(Dispatcher dispatcher) {
            if (dispatcher == null) {
                throw new InvalidInputException("dispatcher", "must not be null");
            }
            this.dispatcher = dispatcher;
            return this;
        }

        /** @param n threads of the default in-process dispatcher */
        public Builder workerThreads(int n) {
            if (n < 1) {
                throw new InvalidInputException("workerThreads", "must be at least 1, was " + n);
            }
            this.workerThreads = n;
            return this;
        }

        /** @param retention how many lines of each level a build keeps */
        public Builder logRetention(LogRetention retention) {
            if (retention == null) {
                throw new InvalidInputException("logRetention", "must not be null");
            }
            this.retention = retention;
            return this;
        }

        /** @param n records per store write */
        public Builder logBatchSize(int n) {
            if (n < 1 || n > 10_000) {
                throw new InvalidInputException("logBatchSize", "must be 1–10000, was " + n);
            }
            this.logBatchSize = n;
            return this;
        }

        /** @param interval how often buffered log records are written while builds run */
        public Builder logFlushInterval(java.time.Duration interval) {
            if (interval == null || interval.toMillis() < 10) {
                throw new InvalidInputException("logFlushInterval", "must be at least 10 ms");
            }
            this.logFlushMillis = interval.toMillis();
            return this;
        }

        /**
         * @param lease the heartbeat lease of each build, renewed every third of it while the build runs; a build
         *     whose process died is failed as {@code stalled} by the first {@code tally.sweep()} after the lease lapsed.
         *     Null turns heartbeats off (a dead process's builds then stay RUNNING until their timeout, if any).
         */
        public Builder heartbeat(java.time.Duration lease) {
            if (lease != null && lease.toMillis() < 30) {
                throw new InvalidInputException("heartbeat", "must be at least 30 ms");
            }
            this.heartbeat = lease;
            return this;
        }

        /**
         * @param dispatch true to have builds run by workers: a build whose dependencies are done is created PENDING
         *     and published through the dispatcher; a worker claims it atomically (the store's guarded PENDING →
         *     RUNNING transition: exactly one claimer wins) and runs it with its stored parameters and pins. Default
         *     false: builds run in this process.
         */
        public Builder dispatchBuilds(boolean dispatch) {
            this.dispatchBuilds = dispatch;
            return this;
        }

        /** @param capture false to leave Logback's configuration alone (configure {@link TallyLogAppender} yourself) */
        public Builder captureLogs(boolean capture) {
            this.captureLogs = capture;
            return this;
        }

        /**
         * @return the runner
         * @throws InvalidInputException if a definition depends on an unknown one
         */
        public Runner build() {
            new DefinitionGraph(definitions); // rejects unknown dependencies before any thread starts
            return new Runner(this);
        }
    }
}
