package io.tally.store;

import io.tally.EventType;
import io.tally.FailureReason;
import io.tally.IllegalTransitionException;
import io.tally.InvalidInputException;
import io.tally.JobError;
import io.tally.JobFinishedException;
import io.tally.JobNotFoundException;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.internal.Json;
import io.tally.internal.Validation;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * The rules of a job, written once: a pure function from the stored job, the stored outcomes of the items and parts a
 * step touches, the step's calls and the time, to the job to store, the item and part writes, the events in order and
 * one answer per call ({@link Applied}). The memory store and the SQL stores only lock, read, call {@link #apply} and
 * write; the Redis store runs the same rules in Lua (it must, to stay one atomic script), checked against this class by
 * its differential test.
 *
 * <p>The rules, call by call (each call sees the job as the calls before it left it, so a batch answers exactly as
 * the same calls one after the other would):
 *
 * <ul>
 *   <li><b>Progress</b> ({@link ProgressUpdate}): refused on a finished job ({@link JobFinishedException}) and, with
 *       counts, items or a total, on a job with parts. A PENDING job starts (auto-start). Anonymous counts add up;
 *       a keyed item has one outcome: recorded again with the same outcome it changes no count, with the other it
 *       moves and the counters move with it. A call that would take a counter past 2^53 − 1 is refused whole
 *       ({@link #countLimit}). The newly done units fold into the rate ({@link RateEstimator}) and renew
 *       the lease: progress is a sign of life. Events: STARTED (when it started the job), PROGRESS.
 *   <li><b>Parts</b> ({@link PartsWrite}): a part number outside {@code 0..parts-1} refuses the whole call. On a
 *       finished job a call that would change nothing is answered {@code changed = 0} (a redelivery); one that would
 *       change something is refused. Otherwise parts move like items; a failure with {@code failJob} fails the job
 *       ({@code part_failed}); the call that leaves no part without an outcome, with at most
 *       {@code toleratedFailures} failed, on a job not settled yet, is the settle: {@code last = true}, the job is
 *       marked settled and SUCCEEDS. Since the job is then finished, no later call can settle it again: exactly once.
 *       Events: STARTED, a PART per changed part, SETTLED, then the terminal event.
 *   <li><b>Transitions</b> ({@link Transition}): a move allowed by {@link JobState#canTransition} (the current state
 *       is a no-op, anything else {@link IllegalTransitionException}); finishing clears deadline and lease and sets
 *       the retention. A heartbeat renews the lease of an active job. An expiry re-checks {@link #isDue} and fails
 *       the job as stalled or timed out, or deletes it after its retention.
 * </ul>
 */
public final class JobRules {
    private JobRules() {}

    /** @return the creation of job {@code j} at {@code now}: the record (RUNNING if it asked to start) and events */
    public static Applied create(NewJob j, Instant now) {
        JobState state = j.start() ? JobState.RUNNING : JobState.PENDING;
        Instant started = j.start() ? now : null;
        JobRecord r = new JobRecord(
                j.id(),
                j.name(),
                j.scope(),
                j.parent(),
                j.metadataJson(),
                state,
                j.total(),
                0,
                0,
                j.partPayloads().size(),
                j.toleratedFailures(),
                false,
                now,
                started,
                now,
                null,
                j.timeout(),
                j.heartbeat(),
                j.retainFor(),
                started == null ? null : plus(now, j.timeout()),
                started == null ? null : plus(now, j.heartbeat()),
                null,
                null,
                null,
                j.message(),
                null,
                started,
                0);
        List<StoreEvent> events = new ArrayList<>(2);
        events.add(StoreEvent.of(EventType.CREATED, r));
        if (j.start()) {
            events.add(StoreEvent.of(EventType.STARTED, r));
        }
        return new Applied(null, r, false, List.of(), List.of(), events, List.of(new Applied.Reply(r, null)));
    }

    /**
     * Applies {@code calls} to {@code job} in order.
     *
     * @param job the job as stored, read under the lock the store holds for the whole step
     * @param storedItems the stored outcome of an item key the calls name, null when it has none
     * @param storedParts the stored outcome of a part the calls name, null when it has none (pending)
     * @param calls the calls, in arrival order
     * @param now the step's time
     * @return what to write, announce and answer
     */
    public static Applied apply(
            JobRecord job,
            Function<String, Outcome> storedItems,
            IntFunction<Outcome> storedParts,
            List<? extends JobWrite> calls,
            Instant now) {
        Step step = new Step(job, storedItems, storedParts, now);
        List<Applied.Reply> replies = new ArrayList<>(calls.size());
        for (JobWrite call : calls) {
            try {
                replies.add(new Applied.Reply(step.apply(call), null));
            } catch (RuntimeException refused) {
                replies.add(new Applied.Reply(null, refused));
            }
        }
        return new Applied(
                job,
                step.current,
                step.deleted,
                new ArrayList<>(step.itemWrites.values()),
                new ArrayList<>(step.partWrites.values()),
                step.events,
                replies);
    }

    /**
     * @return true if {@code r} is due for {@code kind} at {@code now}: what a sweep index lists, re-checked on the
     *     stored job before it is enforced
     */
    public static boolean isDue(JobRecord r, SweepKind kind, Instant now) {
        return switch (kind) {
            case STALLED ->
                r.state() == JobState.RUNNING
                        && r.leaseUntil() != null
                        && r.leaseUntil().isBefore(now);
            case TIMEOUT ->
                !r.state().isTerminal() && r.deadline() != null && r.deadline().isBefore(now);
            case RETENTION ->
                r.state().isTerminal()
                        && r.retainUntil() != null
                        && r.retainUntil().isBefore(now);
        };
    }

    /**
     * The part-range rule: every part number of a job with {@code parts} parts is in {@code 0..parts-1}.
     *
     * @throws InvalidInputException for a number outside it
     */
    public static void checkPart(String id, int parts, long part) {
        if (part < 0 || part >= parts) {
            throw partOutOfRange(id, parts, part);
        }
    }

    /** @return the refusal of part number {@code part} of a job with {@code parts} parts (see {@link #checkPart}) */
    public static InvalidInputException partOutOfRange(String id, int parts, long part) {
        return new InvalidInputException(
                "part",
                parts == 0 ? "job " + id + " has no parts" : "must be between 0 and " + (parts - 1) + ", was " + part);
    }

    /**
     * The counter limit: no counter passes {@link Validation#MAX_COUNT} (2^53 − 1). The deltas of a call are at most
     * that limit (checked at the edge) and a stored counter too, so the sums cannot wrap a {@code long}; the Redis
     * store's Lua keeps the same rule ({@code lib.lua}: {@code over_limit}).
     *
     * @throws InvalidInputException naming the first counter past the limit
     */
    private static void checkCounts(JobChange m) {
        if (Math.max(m.total, Math.max(m.succeeded, m.failed)) > Validation.MAX_COUNT) {
            throw countLimit(
                    m.succeeded > Validation.MAX_COUNT
                            ? "succeeded"
                            : m.failed > Validation.MAX_COUNT ? "failed" : "total");
        }
    }

    /** @return the refusal of a call that would take counter {@code field} past 2^53 − 1 (see {@link #checkCounts}) */
    public static InvalidInputException countLimit(String field) {
        return new InvalidInputException(
                field,
                "would pass " + Validation.MAX_COUNT + " (2^53 - 1), the largest count every store and JSON reader "
                        + "holds exactly; nothing was written");
    }

    /**
     * A move to the state the job is in already: a no-op if it repeats the job's outcome, refused otherwise. For a
     * store whose own engine answers "already there" (Redis), checked on the job it answers: a terminal job never
     * changes, so checking after the fact is as good as inside the step.
     *
     * @throws IllegalTransitionException if {@code t} is terminal and its outcome differs from the stored one
     */
    public static void checkRepeat(JobRecord stored, Transition.Move t) {
        String conflict = t.target().isTerminal() ? conflictingOutcome(stored, t) : null;
        if (conflict != null) {
            throw new IllegalTransitionException(stored.id(), stored.state(), t.target(), conflict);
        }
    }

    /**
     * Repeating a terminal transition is a no-op only with the same outcome: a job that SUCCEEDED with one result
     * cannot succeed again with another, nor fail again with another error (message and type; the stack may
     * differ). A cancel or a skip is the same whatever its reason: the first stands.
     *
     * @return why {@code t} conflicts with the job's stored outcome, or null if it repeats it
     */
    private static String conflictingOutcome(JobRecord r, Transition.Move t) {
        if (t.target() == JobState.SUCCEEDED && !sameJson(r.resultJson(), t.resultJson())) {
            return "with a different result";
        }
        if (t.target() == JobState.FAILED && !sameError(r.error(), t.error())) {
            return "with a different error";
        }
        return null;
    }

    private static boolean sameJson(String a, String b) {
        // (compared as JSON: a store may keep its own spelling of the same value)
        return a == null || b == null ? a == b : Json.tree(a).equals(Json.tree(b));
    }

    private static boolean sameError(JobError a, JobError b) {
        return a == null || b == null
                ? a == b
                : Objects.equals(a.message(), b.message()) && Objects.equals(a.type(), b.type());
    }

    /** @return {@code t + d}, or null when {@code d} is null (the setting is off) */
    static Instant plus(Instant t, Duration d) {
        return d == null ? null : t.plus(d);
    }

    /** One step's state between calls: the job as the next call sees it, the overlays of outcomes, what to write. */
    private static final class Step {
        final Function<String, Outcome> storedItems;
        final IntFunction<Outcome> storedParts;
        final Instant now;
        JobRecord current;
        boolean deleted;
        final Map<String, Outcome> items = new HashMap<>();
        final Map<Integer, Outcome> parts = new HashMap<>();
        final Map<String, ItemUpdate> itemWrites = new LinkedHashMap<>();
        final Map<Integer, PartUpdate> partWrites = new LinkedHashMap<>();
        final List<StoreEvent> events = new ArrayList<>();

        Step(JobRecord job, Function<String, Outcome> storedItems, IntFunction<Outcome> storedParts, Instant now) {
            this.current = job;
            this.storedItems = storedItems;
            this.storedParts = storedParts;
            this.now = now;
        }

        Object apply(JobWrite call) {
            if (deleted) {
                throw new JobNotFoundException(current.id());
            }
            if (call instanceof ProgressUpdate u) {
                return record(u);
            }
            if (call instanceof PartsWrite w) {
                return recordParts(w.parts());
            }
            if (call instanceof Transition.Move m) {
                return move(m);
            }
            if (call instanceof Transition.Heartbeat) {
                return heartbeat();
            }
            return expire(((Transition.Expire) call).kind());
        }

        RecordedProgress record(ProgressUpdate u) {
            JobRecord r = current;
            if (r.state().isTerminal()) {
                throw new JobFinishedException(r.id(), r.state());
            }
            if (r.hasParts()
                    && (u.succeeded() > 0 || u.failed() > 0 || !u.items().isEmpty() || u.addTotal() > 0)) {
                throw new InvalidInputException(
                        "part", "job " + r.id() + " has parts: record them with completePart/failPart");
            }
            JobChange m = new JobChange(r);
            m.autoStart(now);
            m.succeeded += u.succeeded();
            m.failed += u.failed();
            long newlyDone = u.succeeded() + u.failed();
            // this call's item outcomes, kept apart until the limit check passed: a refused call leaves no trace
            Map<String, Outcome> mine = u.items().isEmpty() ? Map.of() : new HashMap<>();
            for (ItemUpdate i : u.items()) {
                Outcome before = mine.containsKey(i.key())
                        ? mine.get(i.key())
                        : items.containsKey(i.key()) ? items.get(i.key()) : storedItems.apply(i.key());
                mine.put(i.key(), i.outcome());
                newlyDone += m.move(before, i.outcome());
            }
            m.total += u.addTotal();
            checkCounts(m);
            items.putAll(mine);
            for (ItemUpdate i : u.items()) {
                itemWrites.remove(i.key()); // re-inserted: the map's order is the order of last writes
                itemWrites.put(i.key(), i);
            }
            if (u.message() != null) {
                m.message = u.message();
            }
            m.progress(newlyDone, now);
            JobRecord after = m.build();
            if (r.state() == JobState.PENDING) {
                events.add(StoreEvent.of(EventType.STARTED, after));
            }
            events.add(StoreEvent.of(EventType.PROGRESS, after));
            current = after;
            return RecordedProgress.of(after);
        }

        PartsOutcome recordParts(List<PartUpdate> updates) {
            JobRecord r = current;
            for (PartUpdate p : updates) {
                checkPart(r.id(), r.parts(), p.part());
            }
            if (r.state().isTerminal()) {
                for (PartUpdate p : updates) {
                    if (storedPart(p.part()) != p.outcome()) {
                        throw new JobFinishedException(r.id(), r.state());
                    }
                }
                return new PartsOutcome(0, r.pending(), false); // a redelivery: nothing to do
            }
            JobChange m = new JobChange(r);
            m.autoStart(now);
            int changed = 0;
            long newlyDone = 0;
            PartUpdate failsJob = null;
            List<Integer> changedParts = new ArrayList<>();
            for (PartUpdate p : updates) {
                if (p.outcome() == Outcome.FAILURE && p.failJob() && failsJob == null) {
                    failsJob = p;
                }
                Outcome before = storedPart(p.part());
                if (before == p.outcome()) {
                    continue;
                }
                parts.put(p.part(), p.outcome());
                partWrites.remove(p.part());
                partWrites.put(p.part(), p);
                changed++;
                changedParts.add(p.part());
                newlyDone += m.move(before, p.outcome());
            }
            m.progress(newlyDone, now);
            boolean last = false;
            if (failsJob != null) {
                m.finish(JobState.FAILED, now);
                m.error = JobError.of(failsJob.reason(), FailureReason.PART_FAILED);
            } else if (!r.settled() && m.succeeded + m.failed == r.parts() && m.failed <= r.toleratedFailures()) {
                // The settle: this call leaves no part pending, and the job finishes with it, so no other call can.
                last = true;
                m.settled = true;
                m.finish(JobState.SUCCEEDED, now);
            }
            JobRecord after = m.build();
            if (r.state() == JobState.PENDING) {
                events.add(StoreEvent.of(EventType.STARTED, after));
            }
            for (int p : changedParts) {
                events.add(new StoreEvent(EventType.PART, after, p));
            }
            if (last) {
                events.add(StoreEvent.of(EventType.SETTLED, after));
            }
            if (after.state().isTerminal()) {
                events.add(StoreEvent.of(EventType.forState(after.state()), after));
            }
            current = after;
            return new PartsOutcome(changed, r.parts() - m.succeeded - m.failed, last);
        }

        private Outcome storedPart(int part) {
            return parts.containsKey(part) ? parts.get(part) : storedParts.apply(part);
        }

        TransitionResult move(Transition.Move t) {
            JobRecord r = current;
            if (r.state() == t.target()) {
                checkRepeat(r, t);
                return new TransitionResult(r, false); // the same transition again
            }
            if (!JobState.canTransition(r.state(), t.target())) {
                throw new IllegalTransitionException(r.id(), r.state(), t.target());
            }
            JobChange m = new JobChange(r);
            if (t.target() == JobState.RUNNING) {
                m.autoStart(now);
            } else {
                m.finish(t.target(), now);
                m.result = t.resultJson();
                m.error = t.error();
            }
            current = m.build();
            events.add(StoreEvent.of(EventType.forState(current.state()), current));
            return new TransitionResult(current, true);
        }

        TransitionResult heartbeat() {
            JobRecord r = current;
            if (r.state().isTerminal()) {
                throw new JobFinishedException(r.id(), r.state());
            }
            JobChange m = new JobChange(r);
            m.updatedAt = now;
            if (r.state() == JobState.RUNNING) {
                m.leaseUntil = plus(now, r.heartbeat());
            }
            current = m.build();
            return new TransitionResult(current, true);
        }

        TransitionResult expire(SweepKind kind) {
            JobRecord r = current;
            if (!isDue(r, kind, now)) {
                return new TransitionResult(r, false);
            }
            if (kind == SweepKind.RETENTION) {
                deleted = true;
                events.add(StoreEvent.of(EventType.DELETED, r));
                return new TransitionResult(r, true);
            }
            JobChange m = new JobChange(r);
            m.finish(JobState.FAILED, now);
            m.error = kind == SweepKind.STALLED
                    ? JobError.of("heartbeat lease lapsed at " + r.leaseUntil(), FailureReason.STALLED)
                    : JobError.of("deadline passed at " + r.deadline(), FailureReason.TIMEOUT);
            current = m.build();
            events.add(StoreEvent.of(EventType.FAILED, current));
            return new TransitionResult(current, true);
        }
    }
}
