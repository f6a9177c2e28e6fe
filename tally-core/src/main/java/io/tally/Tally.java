package io.tally;

import io.tally.internal.Ids;
import io.tally.internal.Json;
import io.tally.internal.Periodic;
import io.tally.internal.Validation;
import io.tally.store.JobRecord;
import io.tally.store.JobRules;
import io.tally.store.JobStats;
import io.tally.store.JobStore;
import io.tally.store.JobStoreProvider;
import io.tally.store.NewJob;
import io.tally.store.PartStatus;
import io.tally.store.PartUpdate;
import io.tally.store.PartsOutcome;
import io.tally.store.RateEstimator;
import io.tally.store.RecordedProgress;
import io.tally.store.SweepKind;
import io.tally.store.Transition;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tally's entry point: creates and finds jobs, records parts, lists jobs, delivers events and sweeps.
 *
 * <pre>{@code
 * Tally tally = Tally.open("memory:");                 // or sqlite:tally.db, postgresql://…, redis://…
 * Job job = tally.create(JobSpec.builder().name("import").total(10).start(true).build());
 * job.recordSuccess("item-a");
 * Progress p = job.progress();
 * }</pre>
 *
 * Thread-safe; open one per store and share it.
 *
 * <p>Heartbeat leases, deadlines and retention are enforced by a sweep ({@link #sweep()}). A Tally built with
 * {@link Builder#sweepEvery} sweeps in the background; by default it does not, as a library Tally is often one of many
 * processes on a store, or a test on a controlled clock that decides when to sweep: one sweeping process (any number
 * is safe) is enough, and {@code tally serve} is one.
 *
 * <p>Some 600 lines as one class on purpose: it is the public facade, each method a checked call of one store
 * operation (the rules are in {@link io.tally.store.JobRules}, instrumentation in {@code InstrumentationChain}, URL
 * lookup in {@code StoreProviders}), and its {@link Builder} is nested because {@code Tally.Builder} is part of the API.
 */
public final class Tally implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Tally.class);
    private static final int SWEEP_BATCH = 500;

    private final JobStore store;
    private final Clock clock;
    private final boolean closeStore;
    private final EventBus events;
    private final Periodic sweeper;
    private final InstrumentationChain instrumentation;

    private Tally(
            JobStore store,
            Clock clock,
            boolean closeStore,
            Duration sweepEvery,
            List<Instrumentation> instrumentation) {
        this.instrumentation = new InstrumentationChain(instrumentation);
        this.store = this.instrumentation.decorate(store);
        this.clock = clock;
        this.closeStore = closeStore;
        this.events = new EventBus(store, e -> EventBus.toEvent(e, this::snapshotOf));
        this.sweeper =
                sweepEvery == null ? null : Periodic.start("tally-sweeper", sweepEvery, this::sweep, log, "sweep");
    }

    /**
     * Opens the store named by {@code url}, chosen by scheme among the {@link JobStoreProvider}s on the class path.
     *
     * @param url {@code memory:}, {@code sqlite:PATH}, {@code postgresql://…}, {@code mariadb://…}, {@code redis://…}
     * @return a Tally on that store, using the system UTC clock
     */
    public static Tally open(String url) {
        return builder().url(url).build();
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Creates a job (and its parts) in one atomic step.
     *
     * @throws JobExistsException if {@code spec.id()} is taken
     * @throws InvalidInputException if the parent does not exist
     */
    public Job create(JobSpec spec) {
        if (spec == null) {
            throw new InvalidInputException("spec", "must not be null");
        }
        String id = spec.id().orElseGet(() -> Ids.uuidV7(clock));
        if (spec.parent().isPresent() && store.find(spec.parent().get()).isEmpty()) {
            throw new InvalidInputException(
                    "parent", "no job with id " + spec.parent().get());
        }
        List<String> payloads = new ArrayList<>(spec.parts().size());
        for (int i = 0; i < spec.parts().size(); i++) {
            payloads.add(Json.partPayload("parts", spec.parts().get(i), id, i));
        }
        store.create(new NewJob(
                id,
                spec.name(),
                spec.scope().orElse(null),
                spec.parent().orElse(null),
                spec.metadataJson(),
                spec.total(),
                spec.start(),
                payloads,
                spec.toleratedFailures(),
                spec.timeout().orElse(null),
                spec.heartbeat().orElse(null),
                spec.retainFor().orElse(null),
                spec.message().orElse(null)));
        return new Job(this, id);
    }

    /**
     * @return a handle on an existing job
     * @throws JobNotFoundException if there is none
     */
    public Job get(String id) {
        return find(id).orElseThrow(() -> new JobNotFoundException(id));
    }

    /**
     * A handle on the job with this id, without reading it: for a caller that was given the id (a worker, a server
     * route) and would otherwise pay a read before its first call. Each call on the handle is one store operation, as
     * on any handle, and throws {@link JobNotFoundException} when there is no such job.
     *
     * @throws InvalidInputException if {@code id} is not a valid job id
     */
    public Job handle(String id) {
        Validation.id("id", id);
        return new Job(this, id);
    }

    /** @return a handle on the job, if it exists */
    public Optional<Job> find(String id) {
        Validation.id("id", id);
        return store.find(id).map(r -> new Job(this, r.id()));
    }

    /** @return the job's snapshot, if it exists */
    public Optional<JobSnapshot> snapshot(String id) {
        Validation.id("id", id);
        return store.find(id).map(this::snapshotOf);
    }

    /** @return one page of jobs, newest first; pass {@code page.next()} as the next query's cursor */
    public Page<JobSnapshot> query(JobQuery query) {
        return store.query(query).map(this::snapshotOf);
    }

    /** @return the number of jobs in each state */
    public Map<JobState, Long> stats() {
        return store.countByState();
    }

    /**
     * Marks a part done. Idempotent: completing a part again changes nothing. The call that completes the last
     * pending part gets {@code last() == true} — exactly one call per job ever does — and the job SUCCEEDS.
     */
    public PartCompletion completePart(String jobId, int part) {
        return completeParts(jobId, part);
    }

    /** Marks several parts done in one atomic step (one round trip). See {@link #completePart}. */
    public PartCompletion completeParts(String jobId, int... parts) {
        return completionOf(store.await(store.recordParts(jobId, successes(jobId, parts))));
    }

    /**
     * {@link #completePart} without blocking: for a worker that keeps many parts in flight from few threads. The
     * future completes with what {@link #completePart} would have returned — {@code last} still goes to exactly one
     * call per job — or exceptionally with what it would have thrown ({@link JobNotFoundException}, {@link
     * JobFinishedException}, {@link InvalidInputException} for a part out of range, {@link StoreUnavailableException}).
     * Input that is wrong on its face (a negative part, a bad id) throws at once and sends nothing.
     *
     * <p>On the Redis store the calls go out on the store's one connection and those that queue up while others are on
     * the wire are combined into one script call; the future then completes on the connection's I/O thread, so don't
     * block in a callback chained to it (chain with an {@code ...Async} method and your own executor instead): a
     * blocking Tally call made there would wait for its own reply, and is refused with {@link IllegalStateException}.
     * Stores without an asynchronous client answer before this returns.
     */
    public CompletableFuture<PartCompletion> completePartAsync(String jobId, int part) {
        return completePartsAsync(jobId, part);
    }

    /** {@link #completeParts} without blocking; see {@link #completePartAsync}. */
    public CompletableFuture<PartCompletion> completePartsAsync(String jobId, int... parts) {
        return store.recordParts(jobId, successes(jobId, parts)).thenApply(Tally::completionOf);
    }

    /** @return the updates marking {@code parts} of a job succeeded; throws for a bad id or part number */
    private static List<PartUpdate> successes(String jobId, int... parts) {
        Validation.id("jobId", jobId);
        if (parts == null || parts.length == 0) {
            throw new InvalidInputException("part", "at least one part is required");
        }
        List<PartUpdate> updates = new ArrayList<>(parts.length);
        for (int p : parts) {
            updates.add(PartUpdate.success(checkPart(p)));
        }
        return updates;
    }

    private static PartCompletion completionOf(PartsOutcome r) {
        return new PartCompletion(r.changed() > 0, r.remaining(), r.last());
    }

    /**
     * Records a part's failure.
     *
     * @param failJob true to fail the whole job (reason {@code part_failed}); false to leave it for a retry
     */
    public PartCompletion failPart(String jobId, int part, String reason, boolean failJob) {
        return completionOf(store.await(store.recordParts(jobId, failure(jobId, part, reason, failJob))));
    }

    /** {@link #failPart} without blocking; see {@link #completePartAsync}. */
    public CompletableFuture<PartCompletion> failPartAsync(String jobId, int part, String reason, boolean failJob) {
        return store.recordParts(jobId, failure(jobId, part, reason, failJob)).thenApply(Tally::completionOf);
    }

    /** @return the update failing a part of a job; throws for a bad id, part number or reason */
    private static List<PartUpdate> failure(String jobId, int part, String reason, boolean failJob) {
        Validation.id("jobId", jobId);
        String why =
                reason == null ? "part " + part + " failed" : Validation.text("reason", reason, Validation.MAX_MESSAGE);
        return List.of(new PartUpdate(checkPart(part), Outcome.FAILURE, why, failJob));
    }

    /**
     * One page of a job's part numbers with the given status, ascending: for a caller that pages itself (an HTTP
     * listing); {@link #parts(String, PartStatus)} streams them all.
     *
     * @param after list parts numbered above this; -1 to start at 0
     * @param limit at most this many, 1 to 10,000
     */
    public List<Integer> parts(String jobId, PartStatus status, int after, int limit) {
        Validation.id("jobId", jobId);
        if (status == null) {
            throw new InvalidInputException("status", "must not be null");
        }
        if (after < -1) {
            throw new InvalidInputException("after", "must be -1 or more, was " + after);
        }
        if (limit < 1 || limit > 10_000) {
            throw new InvalidInputException("limit", "must be between 1 and 10000, was " + limit);
        }
        return store.parts(jobId, status, after, limit);
    }

    /** @return the pending part numbers in ascending order, read from the store page by page as the stream is used */
    public Stream<Integer> pendingParts(String jobId) {
        return parts(jobId, PartStatus.PENDING);
    }

    /** @return the part numbers with the given status, ascending, read page by page */
    public Stream<Integer> parts(String jobId, PartStatus status) {
        Validation.id("jobId", jobId);
        if (store.find(jobId).isEmpty()) {
            throw new JobNotFoundException(jobId);
        }
        Iterator<Integer> it = new Iterator<>() {
            private final ArrayDeque<Integer> buffer = new ArrayDeque<>();
            private int after = -1;
            private boolean exhausted;

            @Override
            public boolean hasNext() {
                if (buffer.isEmpty() && !exhausted) {
                    List<Integer> page = store.parts(jobId, status, after, 1000);
                    buffer.addAll(page);
                    exhausted = page.size() < 1000;
                    if (!page.isEmpty()) {
                        after = page.get(page.size() - 1);
                    }
                }
                return !buffer.isEmpty();
            }

            @Override
            public Integer next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return buffer.poll();
            }
        };
        return StreamSupport.stream(
                Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    /** @return a part's stored payload (the JSON object given at creation, plus {@code jobId} and {@code partId}) */
    public Optional<Map<String, Object>> partPayload(String jobId, int part) {
        Validation.id("jobId", jobId);
        return store.partPayload(jobId, checkPart(part)).map(Json::toMap);
    }

    /**
     * Runs one part's work with watchbot's {@code Part} semantics: if the job already ended, throws
     * {@link JobFinishedException} without running; on success completes the part and, if that settled the job, runs
     * {@link PartOptions#whenLast} (the reduce); on an exception listed in {@code options} fails the
     * job ({@code part_failed}) and rethrows; on any other exception rethrows and records nothing, leaving the part for
     * a retry. A part that already succeeded (a redelivery) is not run again and null is returned, unless
     * {@link PartOptions#rerunCompleted()}.
     *
     * @return the work's result, or null if the part had succeeded before and its work was skipped
     */
    public <T, E extends Exception> T runPart(String jobId, int part, PartOptions options, PartWork<T, E> work)
            throws E {
        Validation.id("jobId", jobId);
        checkPart(part);
        if (options == null || work == null) {
            throw new InvalidInputException(options == null ? "options" : "work", "must not be null");
        }
        JobRecord r = store.find(jobId).orElseThrow(() -> new JobNotFoundException(jobId));
        if (r.state().isTerminal()) {
            throw new JobFinishedException(jobId, r.state());
        }
        JobRules.checkPart(jobId, r.parts(), part);
        if (!options.rerunsCompleted()
                && store.parts(jobId, PartStatus.SUCCEEDED, part - 1, 1).contains(part)) {
            log.debug("part {} of job {} succeeded before: its work is not run again", part, jobId);
            return null;
        }
        T result;
        try {
            result = instrumentation.aroundPart(r, part, work);
        } catch (Exception e) {
            if (options.failsJob(e)) {
                try {
                    failPart(jobId, part, String.valueOf(e), true);
                } catch (JobFinishedException alreadyEnded) {
                    e.addSuppressed(alreadyEnded);
                }
            }
            throw e;
        }
        if (completePart(jobId, part).last()) {
            options.settled();
        }
        return result;
    }

    /**
     * Runs work done for a whole job outside {@link #runPart} (a runner's build function, a reduce) inside the
     * {@link Instrumentation#aroundWork} of every instrumentation, first outermost. It records nothing: the caller
     * stores the work's outcome. Without instrumentation it only reads the job (one store read, so a missing job is
     * found whether or not instrumentation is installed) and runs the work.
     *
     * @return what the work returned
     * @throws JobNotFoundException if there is no such job (the work is not run)
     * @throws E what the work threw
     */
    public <T, E extends Exception> T runWork(String jobId, PartWork<T, E> work) throws E {
        Validation.id("jobId", jobId);
        if (work == null) {
            throw new InvalidInputException("work", "must not be null");
        }
        JobRecord r = store.find(jobId).orElseThrow(() -> new JobNotFoundException(jobId));
        return instrumentation.aroundWork(r, work);
    }

    /**
     * Wraps a task made on this thread that will run on another, through every instrumentation's
     * {@link Instrumentation#carry} (first outermost), so that what this thread carries (a trace context) is current
     * when it runs: a runner wraps the creation of a build's job, which runs on its executor.
     *
     * @return the task to hand to the other thread; {@code task} itself without instrumentation
     */
    public <T> Supplier<T> carry(Supplier<T> task) {
        return instrumentation.carry(Objects.requireNonNull(task, "task"));
    }

    /**
     * Subscribes to events. Delivery is asynchronous, on a thread of the subscription's own, in the order the store
     * emitted them; PROGRESS and PART events of one job are coalesced while the subscriber is busy.
     */
    public Subscription subscribe(EventFilter filter, Consumer<JobEvent> listener) {
        if (filter == null || listener == null) {
            throw new InvalidInputException(filter == null ? "filter" : "listener", "must not be null");
        }
        return events.subscribe(filter, listener);
    }

    /**
     * Enforces heartbeats, deadlines and retention once: fails RUNNING jobs whose lease lapsed ({@code stalled}),
     * fails jobs past their deadline ({@code timeout}), deletes finished jobs past their retention. Each job is
     * re-checked atomically in the store, so concurrent sweepers and late heartbeats are safe.
     */
    public SweepResult sweep() {
        return new SweepResult(sweep(SweepKind.STALLED), sweep(SweepKind.TIMEOUT), sweep(SweepKind.RETENTION));
    }

    private int sweep(SweepKind kind) {
        int done = 0;
        while (true) {
            List<String> due = store.sweepCandidates(kind, clock.instant(), SWEEP_BATCH);
            int changed = 0;
            for (String id : due) {
                if (expire(id, kind)) {
                    changed++;
                }
            }
            done += changed;
            if (due.size() < SWEEP_BATCH || changed == 0) {
                return done;
            }
        }
    }

    /** @return true if the store enforced {@code kind} on job {@code id} (false: not due any more, or gone) */
    private boolean expire(String id, SweepKind kind) {
        try {
            return store.transition(id, Transition.expire(kind)).changed();
        } catch (JobNotFoundException deletedMeanwhile) {
            return false;
        }
    }

    /**
     * Deletes a job with its items, parts and logs.
     *
     * @return false if it did not exist
     */
    public boolean delete(String id) {
        return store.delete(Validation.id("id", id));
    }

    /**
     * The store SPI underneath, for store authors and administration tools (a schema migration, a store's own
     * settings). Applications and Tally's own modules use the methods of {@code Tally} and {@link Job}, which validate
     * their input and keep the rules' order of calls; calling the SPI directly skips both.
     */
    public JobStore storeSpi() {
        return store;
    }

    /**
     * Checks that the store answers (one cheap read), for health checks.
     *
     * @throws StoreUnavailableException if it does not
     */
    public void ping() {
        store.find("tally-ping");
    }

    /** @return the clock */
    public Clock clock() {
        return clock;
    }

    /** Stops event delivery and, unless built with {@code closeStore(false)}, closes the store. */
    @Override
    public void close() {
        if (sweeper != null) {
            sweeper.close();
        }
        events.close();
        if (closeStore) {
            store.close();
        }
    }

    JobSnapshot snapshotOf(JobRecord r) {
        return new JobSnapshot(r, clock.instant(), () -> rollupOf(r));
    }

    Progress progressOf(RecordedProgress r) {
        return JobSnapshot.progressOf(r, clock.instant());
    }

    /**
     * Sums the job's counters and rates with those of all its descendants: the store adds them up in one step
     * ({@link JobStore#stats}); the rates of the RUNNING ones are read here, at this instant, by the one rate rule.
     */
    private Progress rollupOf(JobRecord root) {
        Instant now = clock.instant();
        JobStats s = store.stats(root.id());
        double rate = 0;
        for (RateEstimator.State running : s.running()) {
            rate += RateEstimator.read(running, now);
        }
        return JobSnapshot.progressOf(
                s.total(), s.succeeded(), s.failed(), rate, root.state(), root.startedAt(), root.updatedAt());
    }

    private static int checkPart(int part) {
        if (part < 0) {
            throw new InvalidInputException("part", "must not be negative, was " + part);
        }
        return part;
    }

    /** Builds a {@link Tally}: give a store URL or a store. */
    public static final class Builder {
        private String url;
        private JobStore store;
        private Clock clock;
        private boolean closeStore = true;
        private boolean built;
        private Duration sweepEvery;
        private final List<Instrumentation> instrumentation = new ArrayList<>();

        private Builder() {}

        /**
         * @param url the store URL, resolved through {@link JobStoreProvider}s (often read from configuration, so it is
         *     checked as input)
         * @throws InvalidInputException if it is blank or too long
         */
        public Builder url(String url) {
            this.url = Validation.text("url", url, 4096);
            return this;
        }

        /**
         * @param store a store built by the application (e.g. on its own connection pool)
         * @throws NullPointerException if it is null
         */
        public Builder store(JobStore store) {
            this.store = Objects.requireNonNull(store, "store");
            return this;
        }

        /**
         * @param clock the time source (default: the store's clock, or {@link Clock#systemUTC()} for a URL); tests pass
         *     a controllable one
         * @throws NullPointerException if it is null
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** @param close whether {@link Tally#close()} closes the store (default true) */
        public Builder closeStore(boolean close) {
            this.closeStore = close;
            return this;
        }

        /**
         * @param every how often the Tally sweeps ({@link Tally#sweep()}) on a daemon thread of its own, from one
         *     interval after it is built until it is closed; null for never (the default). Many processes may sweep
         *     one store: each job is re-checked atomically. A sweep that fails (the store is down) is logged and
         *     retried at the next interval.
         * @throws IllegalArgumentException if it is shorter than 10 ms
         */
        public Builder sweepEvery(Duration every) {
            if (every != null && every.toMillis() < 10) {
                throw new IllegalArgumentException("sweepEvery must be at least 10 ms, was " + every);
            }
            this.sweepEvery = every;
            return this;
        }

        /**
         * @param added a metrics or tracing module's hooks; several may be added, the first added is the outermost
         * @throws NullPointerException if it is null
         */
        public Builder instrumentation(Instrumentation added) {
            instrumentation.add(Objects.requireNonNull(added, "instrumentation"));
            return this;
        }

        /**
         * @return the Tally
         * @throws IllegalStateException unless exactly one of {@link #url} and {@link #store} was given, or if this
         *     builder has built a Tally already (a Tally closes its store: two built on one store would close it
         *     twice)
         * @throws InvalidInputException if no store on the class path takes the URL
         */
        public Tally build() {
            if ((url == null) == (store == null)) {
                throw new IllegalStateException("give exactly one of url(…) and store(…)");
            }
            if (built) {
                throw new IllegalStateException("this Tally.Builder has built its Tally already; use a new builder");
            }
            built = true;
            if (store != null) {
                return new Tally(store, clock == null ? store.clock() : clock, closeStore, sweepEvery, instrumentation);
            }
            Clock c = clock == null ? Clock.systemUTC() : clock;
            return new Tally(StoreProviders.forUrl(url).open(url, c), c, true, sweepEvery, instrumentation);
        }
    }
}
