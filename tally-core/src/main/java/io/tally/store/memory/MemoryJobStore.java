package io.tally.store.memory;

import io.tally.EventType;
import io.tally.JobExistsException;
import io.tally.JobNotFoundException;
import io.tally.JobQuery;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.Page;
import io.tally.store.Applied;
import io.tally.store.Cursor;
import io.tally.store.ItemUpdate;
import io.tally.store.JobRecord;
import io.tally.store.JobRules;
import io.tally.store.JobStore;
import io.tally.store.JobWrite;
import io.tally.store.LocalEventHub;
import io.tally.store.LogEntry;
import io.tally.store.NewJob;
import io.tally.store.PartStatus;
import io.tally.store.PartUpdate;
import io.tally.store.PartsOutcome;
import io.tally.store.PartsWrite;
import io.tally.store.ProgressUpdate;
import io.tally.store.RecordedProgress;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.function.Consumer;

/**
 * The in-memory reference store ({@code memory:}): the simplest store that keeps every rule, and the one to read first
 * when writing another.
 *
 * <h2>How it works</h2>
 *
 * <p><b>Layout.</b> Each job is an {@link Entry} in a {@link ConcurrentHashMap}: its record, its items in a map sorted
 * by key (so {@link #items} pages by key), its parts as an array of outcome codes with reasons and payloads, and its
 * log. Listings are served by skip-list indexes (all jobs, and per state, scope, name and parent), ordered newest first
 * by {@code (createdAt, id)}.
 *
 * <p><b>One atomic step per operation</b> (rule 1). Every operation on a job runs under that entry's monitor: it reads
 * the stored record and the stored outcomes the calls name, hands them to {@link JobRules} — the one copy of the job's
 * rules — and writes back what the rules decided ({@link #store}), all before it lets go. The guards therefore read the
 * stored state, never a copy, and two writers of one job never interleave. How each rule is kept here:
 *
 * <ul>
 *   <li><b>Idempotent by key</b> (rule 2): the rules read an item's or part's stored outcome through the lookups
 *       {@link #record} and {@link #recordParts} pass them, so a second delivery of the same outcome changes nothing;
 *       {@link #store} writes back only what the rules list.
 *   <li><b>Exactly-once settle</b> (rule 3): the rules give {@code last} to the call that leaves no part pending, and
 *       finish the job in the same step; the monitor makes that step indivisible, so no second call can see the job
 *       unsettled with nothing pending.
 *   <li><b>Increments</b> (rule 4): {@link ProgressUpdate} carries deltas; the rules add them to the stored counters.
 *   <li><b>Terminal states are final</b> (rule 5): {@link JobRules} refuses progress on a finished job and moves not
 *       in {@link JobState#canTransition}.
 *   <li><b>Liveness, time-outs, retention</b> (rule 6): {@link #transition} with a heartbeat or an expiry; the sweep's
 *       candidates are found by a scan ({@link #sweepCandidates}) — fine for a reference store, and the one place it
 *       scans — and re-checked by the rules under the monitor.
 *   <li><b>Indexes</b> (rule 7): the state index moves in the same step as the state ({@link #store}); a listing
 *       re-checks each candidate against the entry, so an index entry mid-move is never shown twice.
 *   <li><b>Injected clock</b> (rule 10): every step takes {@code now} from the clock given to the constructor.
 * </ul>
 *
 * <p><b>Events</b> are published inside the monitor, in the order the rules listed them, so a job's events leave in
 * the order it changed. This store has no asynchronous client: {@link #record} and {@link #recordParts} answer before
 * they return.
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
        Applied created = JobRules.create(j, now());
        JobRecord r = created.after();
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
            created.events().forEach(events::publish);
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
    public CompletableFuture<RecordedProgress> record(String id, ProgressUpdate u) {
        return JobStore.answered(() -> step(id, u).single(RecordedProgress.class));
    }

    @Override
    public CompletableFuture<PartsOutcome> recordParts(String id, List<PartUpdate> parts) {
        return JobStore.answered(() -> step(id, new PartsWrite(parts)).single(PartsOutcome.class));
    }

    @Override
    public TransitionResult transition(String id, Transition t) {
        return step(id, t).single(TransitionResult.class);
    }

    /**
     * One atomic step on a job: under its monitor, the rules read the stored record and outcomes, and what they decided
     * is stored and announced before the monitor is released.
     */
    private Applied step(String id, JobWrite call) {
        Entry e = entry(id);
        synchronized (e) {
            checkLive(e);
            Applied applied = JobRules.apply(
                    e.r,
                    key -> {
                        StoredItem i = e.items.get(key);
                        return i == null ? null : i.outcome();
                    },
                    part -> outcome(e.partOutcomes[part]),
                    List.of(call),
                    now());
            store(e, applied);
            return applied;
        }
    }

    /** Writes what the rules decided: the record (and its state index), items, parts; then the events, in order. */
    private void store(Entry e, Applied applied) {
        if (applied.deleted()) {
            remove(e);
        } else if (applied.changed()) {
            e.r = applied.after();
            move(e, applied.before().state(), e.r.state());
            for (ItemUpdate i : applied.items()) {
                e.items.put(i.key(), new StoredItem(i.key(), i.outcome(), i.reason()));
            }
            for (PartUpdate p : applied.parts()) {
                e.partOutcomes[p.part()] = code(p.outcome());
                e.partReasons[p.part()] = p.reason();
            }
        }
        applied.events().forEach(events::publish);
    }

    private static byte code(Outcome o) {
        return o == Outcome.SUCCESS ? SUCCESS : FAILURE;
    }

    private static Outcome outcome(byte code) {
        return code == NONE ? null : code == SUCCESS ? Outcome.SUCCESS : Outcome.FAILURE;
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
            JobRules.checkPart(id, e.payloads.length, part);
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
                if (!e.deleted && JobRules.isDue(e.r, kind, now)) {
                    out.add(e.r.id());
                }
            }
        }
        return out;
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
            events.publish(StoreEvent.of(EventType.DELETED, e.r));
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
