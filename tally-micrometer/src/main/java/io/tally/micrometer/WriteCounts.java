package io.tally.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.store.ItemUpdate;
import io.tally.store.JobRecord;
import io.tally.store.PartUpdate;
import io.tally.store.PartsOutcome;
import io.tally.store.ProgressUpdate;
import io.tally.store.SweepKind;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * What this process wrote, as the store answered it: the counts behind the {@code tally.records}, {@code tally.parts},
 * {@code tally.settles} and {@code tally.sweeps} counters, and the {@code tally.job.duration} timers.
 *
 * <p>The counts live here, in adders, and the registries read them ({@link FunctionCounter}): writes made before a
 * registry is bound (a Tally is often built before the application's registry) are not lost, and one TallyMetrics
 * can be bound to several registries. A timer cannot be read that way, so durations go to the timers of the registries
 * bound when the job finished.
 */
final class WriteCounts {
    private final LongAdder recordedSucceeded = new LongAdder();
    private final LongAdder recordedFailed = new LongAdder();
    private final LongAdder partsSucceeded = new LongAdder();
    private final LongAdder partsFailed = new LongAdder();
    private final LongAdder settles = new LongAdder();
    private final Map<SweepKind, LongAdder> swept = new EnumMap<>(SweepKind.class);
    private final List<Map<JobState, Timer>> durations = new CopyOnWriteArrayList<>();
    private final Set<MeterRegistry> bound = Collections.newSetFromMap(new IdentityHashMap<>());

    WriteCounts() {
        for (SweepKind k : SweepKind.values()) {
            swept.put(k, new LongAdder());
        }
    }

    /** Counts the units of a record call the store accepted. */
    void recorded(ProgressUpdate u) {
        long ok = u.succeeded();
        long failed = u.failed();
        for (ItemUpdate i : u.items()) {
            if (i.outcome() == Outcome.SUCCESS) {
                ok++;
            } else {
                failed++;
            }
        }
        recordedSucceeded.add(ok);
        recordedFailed.add(failed);
    }

    /**
     * Counts the parts a call changed ({@code outcome.changed()}, so a redelivery counts nothing) and its settle.
     * The answer gives how many changed, not which: when the call's parts share one outcome (every call Tally's API
     * makes) that is exact; a mixed call that changed only some parts is attributed in the call's order.
     */
    void parts(List<PartUpdate> updates, PartsOutcome outcome) {
        int left = outcome.changed();
        boolean uniform = updates.stream().map(PartUpdate::outcome).distinct().count() == 1;
        if (uniform) {
            (updates.get(0).outcome() == Outcome.SUCCESS ? partsSucceeded : partsFailed).add(left);
        } else {
            for (PartUpdate p : updates) {
                if (left-- <= 0) {
                    break;
                }
                (p.outcome() == Outcome.SUCCESS ? partsSucceeded : partsFailed).increment();
            }
        }
        if (outcome.last()) {
            settles.increment();
        }
    }

    /** Counts a job the sweep enforced {@code kind} on. */
    void swept(SweepKind kind) {
        swept.get(kind).increment();
    }

    /** Times a job this process finished, from its start to its end (a job that never started has no duration). */
    void finished(JobRecord job) {
        if (!job.state().isTerminal() || job.startedAt() == null || job.finishedAt() == null) {
            return;
        }
        Duration d = Duration.between(job.startedAt(), job.finishedAt());
        for (Map<JobState, Timer> timers : durations) {
            timers.get(job.state()).record(d);
        }
    }

    /** Registers the counters and this registry's duration timers. */
    synchronized void bindTo(MeterRegistry registry) {
        if (!bound.add(registry)) {
            return; // bound twice (a framework and the application): one set of timers, or each duration counts twice
        }
        String records = "progress units this process recorded (anonymous counts and keyed items)";
        counter(registry, "tally.records", recordedSucceeded, "outcome", "succeeded", records);
        counter(registry, "tally.records", recordedFailed, "outcome", "failed", records);
        String parts = "parts whose outcome a call of this process set or moved (redeliveries excluded)";
        counter(registry, "tally.parts", partsSucceeded, "outcome", "succeeded", parts);
        counter(registry, "tally.parts", partsFailed, "outcome", "failed", parts);
        FunctionCounter.builder("tally.settles", settles, LongAdder::sum)
                .description("part calls of this process that settled their job (got last = true)")
                .register(registry);
        for (SweepKind k : SweepKind.values()) {
            counter(
                    registry,
                    "tally.sweeps",
                    swept.get(k),
                    "kind",
                    k.name().toLowerCase(Locale.ROOT),
                    "jobs this process's sweeps failed (stalled, timeout) or deleted (retention)");
        }
        Map<JobState, Timer> timers = new EnumMap<>(JobState.class);
        for (JobState s : JobState.values()) {
            if (s.isTerminal()) {
                timers.put(
                        s,
                        Timer.builder("tally.job.duration")
                                .tag("state", s.name())
                                .description("start to end of the jobs this process finished")
                                .register(registry));
            }
        }
        durations.add(timers);
    }

    private static void counter(
            MeterRegistry registry, String name, LongAdder count, String tag, String value, String description) {
        FunctionCounter.builder(name, count, LongAdder::sum)
                .tag(tag, value)
                .description(description)
                .register(registry);
    }
}
