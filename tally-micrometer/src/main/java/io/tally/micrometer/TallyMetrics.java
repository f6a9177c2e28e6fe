package io.tally.micrometer;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.tally.Instrumentation;
import io.tally.JobState;
import io.tally.Tally;
import io.tally.store.JobStore;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Micrometer meters of one {@link Tally}: give it to the builder as an {@link Instrumentation} and bind it to a
 * registry as a {@link MeterBinder}.
 *
 * <pre>{@code
 * TallyMetrics metrics = new TallyMetrics();
 * Tally tally = Tally.builder().url("sqlite:tally.db").instrumentation(metrics).build();
 * metrics.bindTo(registry);
 * }</pre>
 *
 * <table>
 * <caption>Meters</caption>
 * <tr><th>name</th><th>type</th><th>tags</th><th>what</th></tr>
 * <tr><td>{@code tally.jobs}</td><td>gauge</td><td>{@code state}</td><td>jobs in the store per state, all
 * processes' ({@code countByState()}, read at most once per {@link Builder#stateCountsMaxAge})</td></tr>
 * <tr><td>{@code tally.records}</td><td>counter</td><td>{@code outcome}: succeeded, failed</td><td>progress units this
 * process recorded: anonymous counts and keyed items of the calls the store accepted</td></tr>
 * <tr><td>{@code tally.parts}</td><td>counter</td><td>{@code outcome}</td><td>parts whose outcome a call of this
 * process set or moved; a redelivery that changed nothing is not counted</td></tr>
 * <tr><td>{@code tally.settles}</td><td>counter</td><td></td><td>calls of this process that settled a job ({@code
 * last = true}): one per job, whichever process made it</td></tr>
 * <tr><td>{@code tally.sweeps}</td><td>counter</td><td>{@code kind}: stalled, timeout, retention</td><td>jobs this
 * process's sweeps failed or deleted; a candidate that was no longer due is not counted</td></tr>
 * <tr><td>{@code tally.job.duration}</td><td>timer</td><td>{@code state}: SUCCEEDED, FAILED, CANCELLED,
 * SKIPPED</td><td>start to end of the jobs this process finished (a move, a settle, a part that failed its job, the
 * sweep); a job that never started has none</td></tr>
 * </table>
 *
 * <p>Everything but {@code tally.jobs} counts what this process wrote, from the store's answers, so several processes
 * on one store each report their own share and a sum over them is the whole. One TallyMetrics instruments one Tally;
 * it may be bound to several registries.
 */
public final class TallyMetrics implements Instrumentation, MeterBinder {
    private final Duration stateCountsMaxAge;
    private final Clock clock;
    private final WriteCounts writes; // null: a Tally built without this, whose writes pass no decorator
    private volatile StateCounts states;

    private TallyMetrics(Builder b, WriteCounts writes, StateCounts states) {
        this.stateCountsMaxAge = b.stateCountsMaxAge;
        this.clock = b.clock;
        this.writes = writes;
        this.states = states;
    }

    /** A TallyMetrics with the defaults of {@link Builder}. */
    public TallyMetrics() {
        this(builder(), new WriteCounts(), null);
    }

    /** @return a builder, to change how often the jobs per state are read */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * For a Tally built without a TallyMetrics (it cannot be added afterwards): only the {@code tally.jobs} gauges,
     * read through {@link Tally#stats()}, since this process's writes pass no decorator to be counted.
     *
     * @param tally the Tally whose store is counted
     * @return a binder of the {@code tally.jobs} gauges
     * @throws NullPointerException if {@code tally} is null
     */
    public static TallyMetrics jobsOnly(Tally tally) {
        Objects.requireNonNull(tally, "tally");
        Builder b = builder();
        return new TallyMetrics(b, null, new StateCounts(tally::stats, b.stateCountsMaxAge, b.clock));
    }

    /**
     * Wraps the Tally's store to count its writes; the Tally builder calls this once.
     *
     * @throws IllegalStateException if this TallyMetrics already instruments a Tally, or was made by {@link #jobsOnly}
     */
    @Override
    public synchronized JobStore decorate(JobStore store) {
        Objects.requireNonNull(store, "store");
        if (states != null) {
            throw new IllegalStateException("a TallyMetrics instruments one Tally: make one per Tally");
        }
        // The gauges read the store beneath the decorator: a read is not a write to count.
        states = stateCounts(store::countByState);
        return new MeteredJobStore(store, writes);
    }

    /**
     * Registers the meters in {@code registry}. May be called before the Tally is built: the counters then show what
     * was written since, and the gauges show NaN until there is a store to read.
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        for (JobState s : JobState.values()) {
            // A gauge holds its object weakly; this TallyMetrics is held by its Tally and by the application.
            Gauge.builder("tally.jobs", this, m -> m.jobsIn(s))
                    .tag("state", s.name())
                    .description("jobs in each state, in the whole store")
                    .register(registry);
        }
        if (writes != null) {
            writes.bindTo(registry);
        }
    }

    private double jobsIn(JobState s) {
        StateCounts c = states;
        return c == null ? Double.NaN : c.count(s);
    }

    private StateCounts stateCounts(Supplier<Map<JobState, Long>> source) {
        return new StateCounts(source, stateCountsMaxAge, clock);
    }

    /** Builds a {@link TallyMetrics}. */
    public static final class Builder {
        private Duration stateCountsMaxAge = Duration.ofSeconds(5);
        private Clock clock = Clock.SYSTEM;

        private Builder() {}

        /**
         * @param maxAge how long one read of the jobs per state serves the {@code tally.jobs} gauges (default 5 s):
         *     a scrape reads the six gauges one by one, and they share one store query; zero reads at every gauge
         * @throws NullPointerException if it is null
         * @throws IllegalArgumentException if it is negative
         */
        public Builder stateCountsMaxAge(Duration maxAge) {
            if (Objects.requireNonNull(maxAge, "stateCountsMaxAge").isNegative()) {
                throw new IllegalArgumentException("stateCountsMaxAge must not be negative, was " + maxAge);
            }
            this.stateCountsMaxAge = maxAge;
            return this;
        }

        /**
         * @param clock the time the age of the jobs per state is measured with (default {@link Clock#SYSTEM}); tests
         *     pass a {@code MockClock}
         * @throws NullPointerException if it is null
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** @return the TallyMetrics */
        public TallyMetrics build() {
            return new TallyMetrics(this, new WriteCounts(), null);
        }
    }
}
