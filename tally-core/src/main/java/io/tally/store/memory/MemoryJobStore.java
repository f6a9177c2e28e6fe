package io.tally.store.memory;

import io.tally.EventType;
import io.tally.FailureReason;
import io.tally.IllegalTransitionException;
import io.tally.InvalidInputException;
import io.tally.JobError;
import io.tally.JobExistsException;
import io.tally.JobFinishedException;
import io.tally.JobNotFoundException;
import io.tally.JobQuery;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.Page;
import io.tally.store.Cursor;
import io.tally.store.ItemUpdate;
import io.tally.store.JobChange;
import io.tally.store.JobRecord;
import io.tally.store.JobStore;
import io.tally.store.LocalEventHub;
import io.tally.store.LogEntry;
import io.tally.store.NewJob;
import io.tally.store.PartStatus;
import io.tally.store.PartUpdate;
import io.tally.store.PartsResult;
import io.tally.store.ProgressUpdate;
import io.tally.store.StoreEvent;
import io.tally.store.StoredItem;
import io.tally.store.SweepKind;
import io.tally.store.Transition;
import io.tally.store.TransitionResult;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.function.Consumer;

/**
 * The in-memory reference store ({@code memory:}): the semantics every other store re-implements.
 *
 * <p>How it works. Each job is an {@link Entry} in a {@link ConcurrentHashMap}; every operation on a job runs under
 * that entry's monitor, so it is atomic and its guards read the current state. Items live in a sorted map per job
 * (paged by key), parts in an array of outcome codes plus payloads. Listings are served by skip-list indexes (all jobs,
 * by state, scope, name and parent) ordered newest first by {@code (createdAt, id)}; the listing re-checks each
 * candidate against the entry so an index entry mid-move is never shown twice. Sweep candidates are found by a scan:
 * fine for a reference store, and the one place it scans. Events are published inside the monitor, so they leave in
 * the order the job changed.
 */
public final class MemoryJobStore implements JobStore {
    private static final byte NONE = 0;
    private static final byte SUCCESS = 1;
    private static final byte FAILURE = 2;

    private static final Comparator<Key> NEWEST_FIRST =
            Comparator.comparing(Key::createdAt).thenComparing(Key::id).reversed();

    private final Clock clock;
    private final ConcurrentHashMap<String, Entry> jobs = new ConcurrentHashMap<>();
    private final NavigableSet<Key> all = new ConcurrentSkipListSet<>(NEWEST_FIRST);
    private final Map<JobState, NavigableSet<Key>> byState = new EnumMap<>(JobState.class);
    private final ConcurrentHashMap<String, NavigableSet<Key>> byScope = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, NavigableSet<Key>> byName = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, NavigableSet<Key>> byParent = new ConcurrentHashMap<>();
    private final LocalEventHub events = new LocalEventHub();

    /** @param clock the clock every write takes its time from */
    public MemoryJobStore(Clock clock) {
        this.clock = clock;
        for (JobState s : JobState.values()) {
            byState.put(s, new ConcurrentSkipListSet<>(NEWEST_FIRST));
        }
    }

    private record Key(Instant createdAt, String id) {}

    /** One job's mutable state; every access holds its monitor. */
    private static final class Entry {
        final Key key;
        JobRecord r;
        boolean deleted;
        final TreeMap<String, StoredItem> items = new TreeMap<>();
        final byte[] partOutcomes;
        final String[] partReasons;
        final String[] payloads;
        final List<LogEntry> logs = new ArrayList<>();

        Entry(JobRecord r, List<String> payloads) {
            this.key = new Key(r.createdAt(), r.id());
            this.r = r;
            this.payloads = payloads.toArray(new String[0]);
            this.partOutcomes = new byte[payloads.size()];
            this.partReasons = new String[payloads.size()];
        }
    }

    @Override
    public Clock clock() {
        return clock;
    }

    private Instant now() {
        return Instant.ofEpochMilli(clock.millis());
    }

    @Override
    public JobRecord create(NewJob j) {
        Instant now = now();
        JobRecord r = JobChange.created(j, now);
        Entry e = new Entry(r, j.partPayloads());
        synchronized (e) {
            if (jobs.putIfAbsent(j.id(), e) != null) {
                throw new JobExistsException(j.id());
            }
            all.add(e.key);
            byState.get(r.state()).add(e.key);
            index(byName, j.name(), e.key);
            if (j.scope() != null) {
                index(byScope, j.scope(), e.key);
            }
            if (j.parent() != null) {
                index(byParent, j.parent(), e.key);
            }
            events.publish(StoreEvent.of(EventType.CREATED, r));
            if (j.start()) {
                events.publish(StoreEvent.of(EventType.STARTED, r));
            }
            return r;
        }
    }

    private static void index(ConcurrentHashMap<String, NavigableSet<Key>> idx, String value, Key key) {
        idx.computeIfAbsent(value, v -> new ConcurrentSkipListSet<>(NEWEST_FIRST))
                .add(key);
    }

    @Override
    public Optional<JobRecord> find(String id) {
        Entry e = jobs.get(id);
        if (e == null) {
            return Optional.empty();
        }
        synchronized (e) {
            return e.deleted ? Optional.empty() : Optional.of(e.r);
        }
    }

    /** Looks a job up for a write; the caller must hold the entry's monitor for the returned entry's use. */
    private Entry entry(String id) {
        Entry e = jobs.get(id);
        if (e == null) {
            throw new JobNotFoundException(id);
        }
        return e;
    }

    private static void checkLive(Entry e) {
        if (e.deleted) {
            throw new JobNotFoundException(e.r.id());
        }
    }

    @Override
    public JobRecord record(String id, ProgressUpdate u) {
        Entry e = entry(id);
        synchronized (e) {
            checkLive(e);
            JobRecord r = e.r;
            JobChange.checkRecordable(r, u);
            Instant now = now();
            JobChange m = new JobChange(r);
            m.autoStart(now);
            long succeeded = r.succeeded() + u.succeeded();
            long failed = r.failed() + u.failed();
            long newlyDone = u.succeeded() + u.failed();
            for (ItemUpdate i : u.items()) {
                StoredItem before = e.items.put(i.key(), new StoredItem(i.key(), i.outcome(), i.reason()));
                if (before == null) {
                    newlyDone++;
                } else if (before.outcome() == i.outcome()) {
                    continue;
                } else if (before.outcome() == Outcome.SUCCESS) {
                    succeeded--;
                } else {
                    failed--;
                }
                if (i.outcome() == Outcome.SUCCESS) {
                    succeeded++;
                } else {
                    failed++;
                }
            }
            m.succeeded = succeeded;
            m.failed = failed;
            m.total = r.total() + u.addTotal();
            if (u.message() != null) {
                m.message = u.message();
            }
            m.progress(newlyDone, now);
            JobRecord after = m.build();
            e.r = after;
            if (r.state() == JobState.PENDING) {
                move(e, r.state(), after.state());
                events.publish(StoreEvent.of(EventType.STARTED, after));
            }
            events.publish(StoreEvent.of(EventType.PROGRESS, after));
            return after;
        }
    }

    @Override
    public PartsResult recordParts(String id, List<PartUpdate> parts) {
        Entry e = entry(id);
        synchronized (e) {
            checkLive(e);
            JobRecord r = e.r;
            InvalidInputException outOfRange = JobChange.partOutOfRange(id, r.parts(), parts);
            if (outOfRange != null) {
                throw outOfRange;
            }
            if (r.state().isTerminal()) {
                for (PartUpdate p : parts) {
                    if (e.partOutcomes[p.part()] != code(p.outcome())) {
                        throw new JobFinishedException(id, r.state());
                    }
                }
                return new PartsResult(0, r.pending(), false, r);
            }
            Instant now = now();
            JobChange m = new JobChange(r);
            m.autoStart(now);
            int changed = 0;
            long newlyDone = 0;
            boolean failJob = false;
            String failWhy = null;
            List<Integer> changedParts = new ArrayList<>();
            for (PartUpdate p : parts) {
                byte before = e.partOutcomes[p.part()];
                byte now2 = code(p.outcome());
                if (p.outcome() == Outcome.FAILURE && p.failJob() && !failJob) {
                    failJob = true;
                    failWhy = p.reason();
                }
                if (before == now2) {
                    continue;
                }
                e.partOutcomes[p.part()] = now2;
                e.partReasons[p.part()] = p.reason();
                changed++;
                changedParts.add(p.part());
                if (before == NONE) {
                    newlyDone++;
                } else if (before == SUCCESS) {
                    m.succeeded--;
                } else {
                    m.failed--;
                }
                if (now2 == SUCCESS) {
                    m.succeeded++;
                } else {
                    m.failed++;
                }
            }
            m.progress(newlyDone, now);
            boolean last = false;
            if (failJob) {
                m.finish(JobState.FAILED, now);
                m.error = JobError.of(failWhy, FailureReason.PART_FAILED);
            } else if (!r.settled() && m.succeeded + m.failed == r.parts() && m.failed <= r.toleratedFailures()) {
                last = true;
                m.settled = true;
                m.finish(JobState.SUCCEEDED, now);
            }
            JobRecord after = m.build();
            e.r = after;
            move(e, r.state(), after.state());
            if (r.state() == JobState.PENDING) {
                events.publish(StoreEvent.of(EventType.STARTED, after));
            }
            for (int p : changedParts) {
                events.publish(new StoreEvent(EventType.PART, after, p));
            }
            if (last) {
                events.publish(StoreEvent.of(EventType.SETTLED, after));
            }
            if (after.state().isTerminal()) {
                events.publish(StoreEvent.of(EventType.forState(after.state()), after));
            }
            return new PartsResult(changed, r.parts() - m.succeeded - m.failed, last, after);
        }
    }

    private static byte code(Outcome o) {
        return o == Outcome.SUCCESS ? SUCCESS : FAILURE;
    }

    @Override
    public TransitionResult transition(String id, Transition t) {
        Entry e = entry(id);
        synchronized (e) {
            checkLive(e);
            JobRecord r = e.r;
            if (r.state() == t.target()) {
                return new TransitionResult(r, false);
            }
            if (!JobState.canTransition(r.state(), t.target())) {
                throw new IllegalTransitionException(id, r.state(), t.target());
            }
            Instant now = now();
            JobChange m = new JobChange(r);
            if (t.target() == JobState.RUNNING) {
                m.autoStart(now);
            } else {
                m.finish(t.target(), now);
                m.result = t.resultJson();
                m.error = t.error();
            }
            JobRecord after = m.build();
            e.r = after;
            move(e, r.state(), after.state());
            events.publish(StoreEvent.of(EventType.forState(after.state()), after));
            return new TransitionResult(after, true);
        }
    }

    @Override
    public JobRecord heartbeat(String id) {
        Entry e = entry(id);
        synchronized (e) {
            checkLive(e);
            JobRecord r = e.r;
            if (r.state().isTerminal()) {
                throw new JobFinishedException(id, r.state());
            }
            Instant now = now();
            JobChange m = new JobChange(r);
            m.updatedAt = now;
            if (r.state() == JobState.RUNNING) {
                m.leaseUntil = JobChange.plus(now, r.heartbeat());
            }
            e.r = m.build();
            return e.r;
        }
    }

    @Override
    public Page<JobRecord> query(JobQuery q) {
        NavigableSet<Key> source = all;
        if (q.parent().isPresent()) {
            source = byParent.getOrDefault(q.parent().get(), new ConcurrentSkipListSet<>());
        } else if (q.scope().isPresent()) {
            source = byScope.getOrDefault(q.scope().get(), new ConcurrentSkipListSet<>());
        } else if (q.name().isPresent()) {
            source = byName.getOrDefault(q.name().get(), new ConcurrentSkipListSet<>());
        } else if (q.state().isPresent()) {
            source = byState.get(q.state().get());
        }
        if (q.cursor().isPresent()) {
            Cursor c = Cursor.decode(q.cursor().get());
            source = source.tailSet(new Key(c.createdAt(), c.id()), false);
        }
        List<JobRecord> out = new ArrayList<>();
        boolean more = false;
        for (Key k : source) {
            Optional<JobRecord> found = find(k.id());
            if (found.isEmpty() || !matches(found.get(), q)) {
                continue;
            }
            if (out.size() == q.limit()) {
                more = true;
                break;
            }
            out.add(found.get());
        }
        Optional<String> next =
                more ? Optional.of(Cursor.after(out.get(out.size() - 1)).encode()) : Optional.empty();
        return new Page<>(out, next);
    }

    private static boolean matches(JobRecord r, JobQuery q) {
        return q.state().map(s -> s == r.state()).orElse(true)
                && q.scope().map(s -> s.equals(r.scope())).orElse(true)
                && q.name().map(n -> n.equals(r.name())).orElse(true)
                && q.parent().map(p -> p.equals(r.parent())).orElse(true);
    }

    @Override
    public Map<JobState, Long> countByState() {
        Map<JobState, Long> counts = new EnumMap<>(JobState.class);
        for (JobState s : JobState.values()) {
            counts.put(s, 0L);
        }
        for (Entry e : jobs.values()) {
            synchronized (e) {
                if (!e.deleted) {
                    counts.merge(e.r.state(), 1L, Long::sum);
                }
            }
        }
        return counts;
    }

    @Override
    public Page<StoredItem> items(String id, Outcome outcome, String afterKey, int limit) {
        Entry e = entry(id);
        synchronized (e) {
            checkLive(e);
            Map<String, StoredItem> view = afterKey == null ? e.items : e.items.tailMap(afterKey, false);
            List<StoredItem> out = new ArrayList<>();
            boolean more = false;
            for (StoredItem i : view.values()) {
                if (outcome != null && i.outcome() != outcome) {
                    continue;
                }
                if (out.size() == limit) {
                    more = true;
                    break;
                }
                out.add(i);
            }
            return new Page<>(out, more ? Optional.of(out.get(out.size() - 1).key()) : Optional.empty());
        }
    }

    @Override
    public List<Integer> parts(String id, PartStatus status, int after, int limit) {
        Entry e = entry(id);
        byte wanted = switch (status) {
            case PENDING -> NONE;
            case SUCCEEDED -> SUCCESS;
            case FAILED -> FAILURE;
        };
        synchronized (e) {
            checkLive(e);
            List<Integer> out = new ArrayList<>();
            for (int p = Math.max(0, after + 1); p < e.partOutcomes.length && out.size() < limit; p++) {
                if (e.partOutcomes[p] == wanted) {
                    out.add(p);
                }
            }
            return out;
        }
    }

    @Override
    public Optional<String> partPayload(String id, int part) {
        Entry e = entry(id);
        synchronized (e) {
            checkLive(e);
            if (part < 0 || part >= e.payloads.length) {
                throw new InvalidInputException(
                        "part", "must be between 0 and " + (e.payloads.length - 1) + ", was " + part);
            }
            return Optional.of(e.payloads[part]);
        }
    }

    @Override
    public void appendLogs(String id, List<LogEntry> entries) {
        Entry e = entry(id);
        synchronized (e) {
            checkLive(e);
            for (LogEntry l : entries) {
                e.logs.add(new LogEntry(e.logs.size() + 1, l.at(), l.level(), l.logger(), l.message()));
            }
        }
    }

    @Override
    public List<LogEntry> logs(String id, long afterSeq, int limit) {
        Entry e = entry(id);
        synchronized (e) {
            checkLive(e);
            int from = (int) Math.min(Math.max(0, afterSeq), e.logs.size());
            return List.copyOf(e.logs.subList(from, Math.min(e.logs.size(), from + limit)));
        }
    }

    @Override
    public List<String> sweepCandidates(SweepKind kind, Instant now, int limit) {
        List<String> out = new ArrayList<>();
        for (Entry e : jobs.values()) {
            if (out.size() >= limit) {
                break;
            }
            synchronized (e) {
                if (!e.deleted && JobChange.isDue(e.r, kind, now)) {
                    out.add(e.r.id());
                }
            }
        }
        return out;
    }

    @Override
    public Optional<JobRecord> expire(String id, SweepKind kind) {
        Entry e = jobs.get(id);
        if (e == null) {
            return Optional.empty();
        }
        synchronized (e) {
            Instant now = now();
            if (e.deleted || !JobChange.isDue(e.r, kind, now)) {
                return Optional.empty();
            }
            if (kind == SweepKind.RETENTION) {
                remove(e);
                return Optional.of(e.r);
            }
            JobRecord r = e.r;
            JobChange m = new JobChange(r);
            m.finish(JobState.FAILED, now);
            m.error = kind == SweepKind.STALLED
                    ? JobError.of("heartbeat lease lapsed at " + r.leaseUntil(), FailureReason.STALLED)
                    : JobError.of("deadline passed at " + r.deadline(), FailureReason.TIMEOUT);
            JobRecord after = m.build();
            e.r = after;
            move(e, r.state(), after.state());
            events.publish(StoreEvent.of(EventType.FAILED, after));
            return Optional.of(after);
        }
    }

    @Override
    public boolean delete(String id) {
        Entry e = jobs.get(id);
        if (e == null) {
            return false;
        }
        synchronized (e) {
            if (e.deleted) {
                return false;
            }
            remove(e);
            return true;
        }
    }

    private void remove(Entry e) {
        e.deleted = true;
        jobs.remove(e.r.id(), e);
        all.remove(e.key);
        byState.get(e.r.state()).remove(e.key);
        unindex(byName, e.r.name(), e.key);
        unindex(byScope, e.r.scope(), e.key);
        unindex(byParent, e.r.parent(), e.key);
        events.publish(StoreEvent.of(EventType.DELETED, e.r));
    }

    private static void unindex(ConcurrentHashMap<String, NavigableSet<Key>> idx, String value, Key key) {
        if (value != null) {
            idx.computeIfPresent(value, (v, set) -> {
                set.remove(key);
                return set.isEmpty() ? null : set;
            });
        }
    }

    private void move(Entry e, JobState from, JobState to) {
        if (from != to) {
            byState.get(to).add(e.key);
            byState.get(from).remove(e.key);
        }
    }

    @Override
    public AutoCloseable subscribe(Consumer<StoreEvent> listener) {
        return events.subscribe(listener);
    }

    @Override
    public void close() {
        // Nothing to release.
    }
}
