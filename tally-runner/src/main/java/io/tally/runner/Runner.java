package io.tally.runner;

import io.tally.InvalidInputException;
import io.tally.Job;
import io.tally.JobState;
import io.tally.Tally;
import io.tally.store.JobRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

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
 *
 * <p>This class is the facade; the work is done by package-private classes with one job each:
 * {@link BuildPlanner} (what a request builds, statuses, outdated; with {@link StatusInspector} and
 * {@link StoredBuilds}), {@link BuildScheduler} (futures chained per definition, creating each build's job with its
 * pins), {@link BuildExecution} (running a build's function and cleanup with its logs), {@link DispatchedBuilds}
 * (publishing, watching and claiming builds run by workers), {@link JobWatcher} and {@link MapReduces}.
 */
public final class Runner implements AutoCloseable {

    private final Tally tally;
    private final DefinitionGraph graph;
    private final ExecutorService executor;
    private final boolean ownsExecutor;
    private final LogRetention retention;
    private final ScheduledExecutorService flusher;
    private final boolean capturingLogs;
    private final java.time.Duration heartbeat;
    private final JobWatcher watcher;
    private final DispatchedBuilds dispatched;
    private final BuildScheduler scheduler;
    private final BuildPlanner planner;
    final MapReduces mapReduces;

    private Runner(Builder b) {
        this.tally = b.tally;
        this.graph = new DefinitionGraph(b.definitions);
        this.ownsExecutor = b.executor == null;
        this.executor = b.executor != null ? b.executor : Executors.newCachedThreadPool(daemon("tally-build"));
        this.retention = b.retention;
        this.heartbeat = b.heartbeat;
        this.capturingLogs = b.captureLogs && LogCapture.install();
        // One scheduler thread for the runner's short periodic work: log flushes, heartbeats, watching workers.
        this.flusher = Executors.newSingleThreadScheduledExecutor(daemon("tally-log-flush"));
        this.flusher.scheduleWithFixedDelay(
                BuildLog::flushAll, b.logFlushMillis, b.logFlushMillis, TimeUnit.MILLISECONDS);
        this.watcher = new JobWatcher(flusher, b.cancelCheck);
        BuildExecution execution = new BuildExecution(tally, retention, b.logBatchSize, watcher);
        this.dispatched = new DispatchedBuilds(tally, graph, this::dispatcher, execution);
        this.scheduler = new BuildScheduler(tally, graph, executor, heartbeat, b.dispatchBuilds, execution, dispatched);
        this.planner = new BuildPlanner(tally, graph, scheduler.building());
        // Last: it starts the dispatcher, whose deliveries come to handle() and need everything above.
        this.mapReduces = new MapReduces(this, b.dispatcher, b.workerThreads, b.mapReduceSpecs);
        if (b.dispatchBuilds) {
            this.flusher.scheduleWithFixedDelay(dispatched::watch, 50, 100, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * @param tally the store builds are tracked in
     * @return a builder for a runner on it
     * @throws NullPointerException if {@code tally} is null
     */
    public static Builder builder(Tally tally) {
        return new Builder(Objects.requireNonNull(tally, "tally"));
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
     * @throws NullPointerException if {@code options} is null
     * @throws InvalidInputException if there is no such definition
     */
    public Build build(String definitionId, BuildOptions options) {
        Objects.requireNonNull(options, "options");
        graph.get(definitionId);
        String buildId = BuildIds.next(tally.clock());
        Set<String> plan = planner.plan(List.of(definitionId), options.buildDependencies());
        Map<String, CompletableFuture<Build.Outcome>> futures =
                scheduler.schedule(plan, Map.of(definitionId, buildId), Map.of(definitionId, options.params()));
        CompletableFuture<Build.Outcome> target = futures.get(definitionId);
        // Carried, like each build's job: the dependents are scheduled on the thread that ended the build, but belong
        // to this request.
        Supplier<CompletableFuture<Void>> dependents = tally.carry(() -> buildDependents(definitionId, options));
        CompletableFuture<?> request =
                target.thenCompose(o -> o.state() == JobState.SUCCEEDED && options.buildDependents()
                        ? dependents.get()
                        : CompletableFuture.<Void>completedFuture(null));
        return new Build(this, buildId, definitionId, target, request);
    }

    /** Schedules builds of every transitive dependent of a successful build. */
    private CompletableFuture<Void> buildDependents(String definitionId, BuildOptions options) {
        List<String> downstream = graph.transitiveDependents(definitionId);
        if (downstream.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        Set<String> next = planner.plan(downstream, options.buildDependencies());
        next.remove(definitionId);
        return CompletableFuture.allOf(
                scheduler.schedule(next, Map.of(), Map.of()).values().toArray(new CompletableFuture<?>[0]));
    }

    /** @return the definition's status, read from the store (and this runner's in-flight builds) */
    public BuildStatus status(String definitionId) {
        graph.get(definitionId);
        return planner.status(definitionId);
    }

    /** @return the ids of every OUTDATED definition, in dependency order (each after what it depends on) */
    public List<String> outdated() {
        return planner.outdated();
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
        for (JobRecord r : StoredBuilds.newest(tally, definitionId, null, limit)) {
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
        return planner.latestSuccessful(definitionId).map(s -> handle(s.id(), definitionId));
    }

    /**
     * Starts a map-reduce job: creates a job with one part per payload, publishes one map message per part through
     * the dispatcher, runs {@code partFn} for each delivered part with the core's {@code runPart} semantics, and runs
     * {@code reduceFn} exactly once, with every part's result, when the last part is done. Registers the functions
     * under {@code name} so that this runner's worker side can run the parts.
     *
     * @param name the job name and the key workers find the functions by
     * @param parts the part payloads (JSON objects: maps, POJOs or JSON text)
     * @throws NullPointerException if a function or {@code options} is null
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
            dispatched.claimAndRun(message);
        } else {
            mapReduces.handle(message);
        }
    }

    /**
     * Told by the dispatcher that a message was moved to its dead-letter place: a map message's part is failed (and its
     * job, unless the failure is tolerated), a build message's build is failed, each with a reason naming the message,
     * its deliveries and the place. Never throws.
     *
     * @param message the message as last delivered
     * @param place where it now lies
     * @param cause the last delivery's exception
     */
    public void deadLettered(WorkMessage message, String place, Exception cause) {
        try {
            if (WorkMessage.BUILD.equals(message.kind())) {
                tally.get(message.jobId()).fail(new DeadLetterException(Deliveries.reason(message, place, cause)));
            } else {
                mapReduces.deadLettered(message, place, cause);
            }
        } catch (io.tally.TallyException ended) {
            // The job is gone or ended already: nothing left to fail.
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

    /** Renews a running job's heartbeat lease until the returned future is cancelled; null when {@code lease} is. */
    ScheduledFuture<?> startHeartbeat(Job job, java.time.Duration lease) {
        return watcher.start(job, lease, null);
    }

    private Dispatcher dispatcher() {
        return mapReduces.dispatcher();
    }

    private Build handle(String buildId, String definitionId) {
        return new Build(this, buildId, definitionId, null, null);
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
     * <p>Definitions are data — the same ones come from a definitions file and are listed over HTTP — so a bad id, a
     * taken id, a cycle or an unknown dependency is an {@link InvalidInputException}, as it is for a file. The other
     * settings are the program's own: a null is a {@link NullPointerException}, a value out of range an
     * {@link IllegalArgumentException}, and building twice an {@link IllegalStateException}.
     *
     * <table>
     * <caption>Settings</caption>
     * <tr><th>setting</th><th>default</th></tr>
     * <tr><td>{@code executor}</td><td>a cached pool of daemon threads {@code tally-build-N}, closed with the
     * runner</td></tr>
     * <tr><td>{@code dispatcher}</td><td>an {@link InProcessDispatcher} on {@code workerThreads} threads; or one
     * given, or named by its URL ({@link Dispatchers})</td></tr>
     * <tr><td>{@code workerThreads}</td><td>max(2, available processors)</td></tr>
     * <tr><td>{@code logRetention}</td><td>{@link LogRetention#defaults()}</td></tr>
     * <tr><td>{@code logBatchSize}</td><td>200 records per {@code appendLogs}</td></tr>
     * <tr><td>{@code logFlushInterval}</td><td>1 s: buffered records are written at least this often</td></tr>
     * <tr><td>{@code heartbeat}</td><td>1 min lease, renewed every 20 s while a build runs</td></tr>
     * <tr><td>{@code captureLogs}</td><td>true: attach a {@link TallyLogAppender} to Logback's root logger when Logback
     * is the application's SLF4J backend (otherwise builds keep their {@code ctx.log()} records only, and the first
     * runner says so in one INFO line)</td></tr>
     * </table>
     */
    public static final class Builder {
        private final Tally tally;
        private final Map<String, Definition> definitions = new LinkedHashMap<>();
        private final Map<String, MapReduces.Spec> mapReduceSpecs = new LinkedHashMap<>();
        private ExecutorService executor;
        private Dispatcher dispatcher;
        private String dispatcherUrl;
        private int workerThreads = Math.max(2, Runtime.getRuntime().availableProcessors());
        private LogRetention retention = LogRetention.defaults();
        private int logBatchSize = 200;
        private long logFlushMillis = 1000;
        private boolean captureLogs = true;
        private java.time.Duration heartbeat = java.time.Duration.ofMinutes(1);
        private java.time.Duration cancelCheck = java.time.Duration.ofSeconds(1);
        private boolean dispatchBuilds;
        private boolean built;

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
         * @throws NullPointerException if {@code function} or {@code options} is null
         * @throws InvalidInputException if the id is not a valid id or is taken, or the definition closes a dependency
         *     cycle
         */
        public Builder define(String id, BuildFunction function, DefinitionOptions options) {
            return define(Definition.of(id, function, options));
        }

        /**
         * Adds a definition made on its own ({@link Definition#of}).
         *
         * @throws NullPointerException if {@code d} is null
         * @throws InvalidInputException if its id is taken, or it closes a dependency cycle
         */
        public Builder define(Definition d) {
            String id = Objects.requireNonNull(d, "definition").id();
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
         * @throws NullPointerException if {@code file} is null
         * @throws InvalidInputException if the file cannot be read, or a class or method is missing
         */
        public Builder definitions(java.nio.file.Path file) {
            Objects.requireNonNull(file, "file");
            ClassLoader loader = Thread.currentThread().getContextClassLoader();
            DefinitionsFile.load(file, loader != null ? loader : Runner.class.getClassLoader(), this);
            return this;
        }

        /**
         * Registers map-reduce functions under {@code name}, for {@link Runner#mapReduce(String, List)} and workers.
         *
         * @throws NullPointerException if a function or {@code options} is null
         * @throws InvalidInputException if the name is blank or longer than 256 characters
         */
        public Builder mapReduce(String name, PartFunction partFn, ReduceFunction reduceFn, MapReduceOptions options) {
            mapReduceSpecs.put(name, MapReduces.Spec.of(name, partFn, reduceFn, options));
            return this;
        }

        /**
         * @param executor runs builds; the runner does not shut it down
         * @throws NullPointerException if it is null
         */
        public Builder executor(ExecutorService executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * @param dispatcher carries map messages to workers; the runner starts it and closes it
         * @throws NullPointerException if it is null
         */
        public Builder dispatcher(Dispatcher dispatcher) {
            this.dispatcher = Objects.requireNonNull(dispatcher, "dispatcher");
            this.dispatcherUrl = null;
            return this;
        }

        /**
         * Carries map messages through the transport a URL names, opened with its defaults and {@code workerThreads}
         * threads when the runner is built ({@link Dispatchers}): {@code redis://}, {@code rediss://} (Redis Streams),
         * {@code amqp://}, {@code amqps://} (RabbitMQ), {@code nats://} (NATS JetStream). For other settings open it
         * with {@link Dispatchers#url} and pass the dispatcher.
         *
         * @param url the transport's URL
         * @throws io.tally.InvalidInputException if it is blank or its scheme names no dispatcher
         */
        public Builder dispatcher(String url) {
            Dispatchers.url(url); // checks the scheme now, connects in build()
            this.dispatcherUrl = url;
            this.dispatcher = null; // the last of dispatcher(…) and dispatcher(url) counts
            return this;
        }

        /**
         * @param n threads of the default in-process dispatcher (or of the one named by {@link #dispatcher(String)})
         * @throws IllegalArgumentException if it is less than 1
         */
        public Builder workerThreads(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("workerThreads must be at least 1, was " + n);
            }
            this.workerThreads = n;
            return this;
        }

        /**
         * @param retention how many lines of each level a build keeps
         * @throws NullPointerException if it is null
         */
        public Builder logRetention(LogRetention retention) {
            this.retention = Objects.requireNonNull(retention, "logRetention");
            return this;
        }

        /**
         * @param n records per store write
         * @throws IllegalArgumentException if it is not 1–10000
         */
        public Builder logBatchSize(int n) {
            if (n < 1 || n > 10_000) {
                throw new IllegalArgumentException("logBatchSize must be 1–10000, was " + n);
            }
            this.logBatchSize = n;
            return this;
        }

        /**
         * @param interval how often buffered log records are written while builds run
         * @throws NullPointerException if it is null
         * @throws IllegalArgumentException if it is shorter than 10 ms
         */
        public Builder logFlushInterval(java.time.Duration interval) {
            if (Objects.requireNonNull(interval, "logFlushInterval").toMillis() < 10) {
                throw new IllegalArgumentException("logFlushInterval must be at least 10 ms, was " + interval);
            }
            this.logFlushMillis = interval.toMillis();
            return this;
        }

        /**
         * @param lease the heartbeat lease of each build, renewed every third of it while the build runs; a build
         *     whose process died is failed as {@code stalled} by the first {@code tally.sweep()} after the lease lapsed.
         *     Null turns heartbeats off (a dead process's builds then stay RUNNING until their timeout, if any).
         * @throws IllegalArgumentException if it is shorter than 30 ms
         */
        public Builder heartbeat(java.time.Duration lease) {
            if (lease != null && lease.toMillis() < 30) {
                throw new IllegalArgumentException("heartbeat must be at least 30 ms, was " + lease);
            }
            this.heartbeat = lease;
            return this;
        }

        /**
         * @param every how often a running build looks for a cancel of its job: one read of its state, in real time
         *     (default 1 s; the heartbeats look too). A build hears a cancel within this much, see
         *     {@link BuildContext#cancelled()}.
         * @throws IllegalArgumentException if it is shorter than 10 ms
         */
        public Builder cancelCheck(java.time.Duration every) {
            if (Objects.requireNonNull(every, "cancelCheck").toMillis() < 10) {
                throw new IllegalArgumentException("cancelCheck must be at least 10 ms, was " + every);
            }
            this.cancelCheck = every;
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

        /**
         * @param capture false to leave Logback's configuration alone (configure {@link TallyLogAppender} yourself), or
         *     to silence the notice given when the application's SLF4J backend is not Logback
         * @return this builder
         */
        public Builder captureLogs(boolean capture) {
            this.captureLogs = capture;
            return this;
        }

        /**
         * @return the runner
         * @throws InvalidInputException if a definition depends on an unknown one
         * @throws IllegalStateException if this builder has built a runner already: a runner owns its dispatcher (it
         *     starts and closes it), so two runners cannot share one
         */
        public Runner build() {
            if (built) {
                throw new IllegalStateException("this Runner.Builder has built its runner already");
            }
            new DefinitionGraph(definitions); // rejects unknown dependencies before any thread starts
            if (dispatcherUrl != null && dispatcher == null) {
                dispatcher =
                        Dispatchers.url(dispatcherUrl).threads(workerThreads).open();
            }
            built = true;
            return new Runner(this);
        }
    }
}
