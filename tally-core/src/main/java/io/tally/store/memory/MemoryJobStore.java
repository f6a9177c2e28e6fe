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
import io.tally.store.JobStats;
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
import io.tally.store.RateEstimator;
import io.tally.store.RecordedProgress;
import io.tally.store.StoreEvent;
import io.tally.store.StoredItem;
import io.tally.store.SweepKind;
import io.tally.store.Transition;
import io.tally.store.TransitionResult;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.function.Consumer;

/**
 * The in-memory reference store ({@code memory:}): the simplest store that keeps every rule, and the one to read first
 * when writing another. The SQL stores take the same steps with a row lock in place of the monitor; the Redis store
 * runs the same rules inside one function call.
 *
 * <p>It is one class of some 660 lines on purpose: the SPI's fifteen operations and the indexes they keep share one
 * locking discipline (each job's monitor, the indexes moved inside it), and a store author should be able to check
 * that discipline operation by operation in one file, as this note walks it. The decisions are not here
 * ({@link JobRules}); what is left is the data layout and the lock.
 *
 * <h2>Layout</h2>
 *
 * <p>Each job is an {@link Entry} in a {@link ConcurrentHashMap}: its record, its items in a map sorted by key (so
 * {@link #items} pages by key), its parts as an array of outcome codes with reasons and payloads, its log, and a
 * {@code deleted} flag. Listings are served by skip-list indexes (all jobs, and per state, scope, name and parent),
 * ordered newest first by {@code (createdAt, id)}. The map and the indexes are concurrent collections, so writers of
 * different jobs never wait for each other and a listing takes no lock but each job's own.
 *
 * <h2>One write: lock, read, rules, write</h2>
 *
 * <p>Every write to a job ({@link #record}, {@link #recordParts}, {@link #transition}) is one {@link #step}, and every
 * step runs under that job's {@link Entry} monitor from the first read to the last event:
 *
 * <ol>
 *   <li><b>lock</b>: {@code synchronized (entry)}; the entry's {@code deleted} flag is checked under it, so a job
 *       deleted by a step that held the monitor first is not found;
 *   <li><b>read</b>: the stored record and, through two lookups, the stored outcome of each item key or part the call
 *       names — the stored state itself, never a copy made before the lock;
 *   <li><b>rules</b>: {@link JobRules#apply} decides the job to store, the item and part writes, the events in order
 *       and the call's answer or refusal. This class decides none of it;
 *   <li><b>write</b>: {@link #store} writes back exactly what the rules listed, moves the state index, and publishes
 *       the events, still holding the monitor.
 * </ol>
 *
 * <p>The other operations on a job ({@link #create}, {@link #delete}, {@link #appendLogs} and the reads) hold the same
 * monitor; each says why.
 *
 * <p>Because the read and the write happen under one monitor, no other writer of the job can change what was read
 * before the write lands: each rule's check-then-act is atomic (rule 1; the rules are numbered in the order of the
 * table "The rules, and where each is kept" in ARCHITECTURE.md). How each of the others is kept here:
 *
 * <ul>
 *   <li><b>Idempotent by key</b> (rule 2): the rules count an item or part only by comparing the call's outcome with
 *       the stored one the lookups return; a redelivery with the same outcome changes no count, the other outcome moves
 *       it. {@link #store} then writes each item key the rules listed and each part whose outcome they changed.
 *   <li><b>Exactly-once settle</b> (rule 3): the rules give {@code last = true} to the call that leaves no part
 *       without an outcome (with at most {@code toleratedFailures} failed, on a job not yet settled), and in the same
 *       step set {@code settled} and finish the job. Part writes of one job are serialised by the monitor and each
 *       reads the outcomes the one before stored, so exactly one step sees the last pending part go; every later call
 *       finds the job finished and is answered as a redelivery or refused — it can never be {@code last}.
 *   <li><b>Increments</b> (rule 4): {@link ProgressUpdate} carries deltas; the rules add them to the stored counters
 *       read under the monitor, so concurrent increments never overwrite each other.
 *   <li><b>Terminal states are final</b> (rule 5), and the <b>answers on a finished job</b>: decided by the rules
 *       from the stored state. Progress and heartbeats are refused ({@code JobFinishedException}); a part call that
 *       would change nothing answers {@code changed = 0, last = false} and writes nothing, one that would change
 *       something is refused; a move to the current state is a no-op ({@code changed = false}), any other move is an
 *       {@code IllegalTransitionException}. A refused call writes nothing and publishes nothing: its refusal is thrown
 *       after the monitor is released.
 *   <li><b>Liveness, time-outs, retention</b> (rule 6): a heartbeat is a {@link Transition} like any other; the
 *       sweep's candidates are found by a scan ({@link #sweepCandidates}) — fine for a reference store, and the one
 *       place it scans the jobs — and each expiry is re-checked by the rules under the monitor before it fails or
 *       deletes the job.
 *   <li><b>Indexes</b> (rule 7): the state index moves in the same step as the state ({@link #store}); a listing
 *       re-reads each job it finds in an index under the job's monitor and re-checks the filters, so a job whose index
 *       entry is mid-move is shown once, with its stored state.
 *   <li><b>Injected clock</b> (rule 10): every step takes {@code now} from the clock given to the constructor,
 *       truncated to milliseconds as the SPI requires.
 * </ul>
 *
 * <h2>Events</h2>
 *
 * <p>A step publishes its events after its writes and before it releases the monitor, in the order the rules listed
 * them (STARTED, PROGRESS or the PARTs, SETTLED, the terminal event). The next step on the same job cannot start
 * until they are out, so a job's events leave in the order it changed, and each carries a record that is already
 * stored (DELETED carries the last one). Listeners run on the writing thread inside the monitor
 * ({@link LocalEventHub}), so they must only hand the event off, as the core's event bus does. A step that changes
 * nothing (a refusal, a redelivery on a finished job, a no-op move, an expiry not due) publishes nothing.
 *
 * <p>This store has no asynchronous client: {@link #record} and {@link #recordParts} run their step on the caller's
 * thread and return a future that is already complete ({@link JobStore#answered}). Nor does it combine calls: each
 * call is its own step, since there is no round trip to save.
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

    /**
     * One job's mutable state. Every read and write of these fields holds this entry's monitor, which is also the job's
     * lock for a whole step (so the fields need not be volatile: the monitor orders them). The part arrays are sized
     * when the job is created, since a job's parts never change in number.
     */
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

    /** The step's time: the injected clock, truncated to milliseconds like every store's. */
    private Instant now() {
        return Instant.ofEpochMilli(clock.millis());
    }

    /**
     * {@inheritDoc}
     *
     * <p>The rules make the record and its CREATED (+STARTED) events ({@link JobRules#create}); they need nothing
     * stored, so they run before the lock. The new entry's monitor is taken <em>before</em> the entry is put in the
     * map: whoever finds the job from then on waits until its indexes are in place and its CREATED event is out, so no
     * read sees a half-made job and no event of the job can come before CREATED. {@code putIfAbsent} is the taken-id
     * guard: when it fails, nothing was indexed or published.
     */
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
        // The add happens inside compute: added after computeIfAbsent returned, it could land in a set that a
        // concurrent unindex of the value's last job has just dropped from the map, and the job would not be found.
        idx.compute(value, (v, set) -> {
            NavigableSet<Key> s = set == null ? new ConcurrentSkipListSet<>(NEWEST_FIRST) : set;
            s.add(key);
            return s;
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>Read under the job's monitor: the record returned is one a step stored completely, and a job deleted by an
     * earlier step (its entry may still be held by a thread that found it) is reported as absent.
     */
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

    /**
     * Looks a job up for an operation on it. The caller takes the entry's monitor and then calls {@link #checkLive},
     * because the job may have been deleted between this lookup and the lock.
     */
    private Entry entry(String id) {
        Entry e = jobs.get(id);
        if (e == null) {
            throw new JobNotFoundException(id);
        }
        return e;
    }

    /** Refuses an entry whose job was deleted, as if it had never been found; call it holding the monitor. */
    private static void checkLive(Entry e) {
        if (e.deleted) {
            throw new JobNotFoundException(e.r.id());
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>One {@link #step} with the update: the rules start a PENDING job, add the counts, move keyed items by their
     * stored outcomes, fold the rate and renew the lease; a finished job refuses it, and a job with parts refuses
     * counts, items and totals. The answer (or refusal, or {@code JobNotFoundException}) is in the returned future,
     * complete before it is returned.
     */
    @Override
    public CompletableFuture<RecordedProgress> record(String id, ProgressUpdate u) {
        return JobStore.answered(() -> step(id, u).single(RecordedProgress.class));
    }

    /**
     * {@inheritDoc}
     *
     * <p>One {@link #step} with all the call's parts: the rules check the part range for the whole call first (a number
     * out of range writes nothing), read each part's stored outcome, and claim the settle for at most this one call
     * (see the class comment). Answered before it returns, as {@link #record}.
     */
    @Override
    public CompletableFuture<PartsOutcome> recordParts(String id, List<PartUpdate> parts) {
        return JobStore.answered(() -> step(id, new PartsWrite(parts)).single(PartsOutcome.class));
    }

    /**
     * {@inheritDoc}
     *
     * <p>One {@link #step} with the move, heartbeat or expiry: the guard ({@link JobState#canTransition}, or the
     * sweep's {@link JobRules#isDue}) reads the stored state under the monitor, so of two racing moves out of one state
     * exactly one changes the job and the other finds it moved. A retention expiry deletes the job in the step.
     */
    @Override
    public TransitionResult transition(String id, Transition t) {
        return step(id, t).single(TransitionResult.class);
    }

    /**
     * One atomic step on a job: lock, read, rules, write (see the class comment). The two lookups hand the rules the
     * stored outcome of an item key or part (null: none yet); the rules call them while this thread holds the monitor,
     * so they read the state no other writer can change before {@link #store} writes. The rules get the one call; a
     * refusal comes back in {@link Applied#replies()} with nothing to write, and is thrown by the caller's
     * {@code single(…)} after the monitor is released.
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

    /**
     * Writes what the rules decided, and only that; call it holding the entry's monitor. A retention expiry removes the
     * job from the map and every index. A change replaces the record, moves the state index in the same step, stores
     * each item the rules listed (its last outcome and reason in this step; a repeat of the same outcome is written
     * too, for its reason) and each part whose outcome changed. Then the events, in the rules' order, before the
     * monitor is released (see "Events" in the class comment). Nothing changed (a refusal, a no-op): nothing written,
     * and the rules listed no events.
     */
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

    /**
     * {@inheritDoc}
     *
     * <p>Walks one index — parent, else scope, else name, else state, else all jobs — newest first, after the cursor's
     * {@code (createdAt, id)} when there is one, without a lock. Each job found is re-read under its monitor
     * ({@link #find}) and re-checked against every filter: the index only proposes, the stored record decides. So a
     * job deleted meanwhile is skipped, a job whose state index is mid-move is shown under its stored state only, and
     * the other filters need no index of their own. One job past the page tells whether there is a next page.
     */
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
            if (found.isEmpty() || !found.get().matches(q)) {
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

    /**
     * {@inheritDoc}
     *
     * <p>Visits every job once (for a subtree: the root, then each job's children by the parent index), each under its
     * monitor, and counts it in its stored state. The counts are not of one instant across jobs (there is no store-wide
     * lock): a job created or deleted meanwhile may or may not be counted, which is all a dashboard or a roll-up needs.
     */
    @Override
    public JobStats stats(String root) {
        Map<JobState, Long> counts = JobStats.zeros();
        if (root == null) {
            for (Entry e : jobs.values()) {
                synchronized (e) {
                    if (!e.deleted) {
                        counts.merge(e.r.state(), 1L, Long::sum);
                    }
                }
            }
            return new JobStats(counts, 0, 0, 0, List.of());
        }
        long total = 0;
        long succeeded = 0;
        long failed = 0;
        List<RateEstimator.State> running = new ArrayList<>();
        ArrayDeque<String> todo = new ArrayDeque<>(List.of(root));
        Set<String> seen = new HashSet<>(); // parent links can form a cycle through a reused id
        while (!todo.isEmpty()) {
            String id = todo.poll();
            if (!seen.add(id)) {
                continue;
            }
            Optional<JobRecord> found = find(id);
            if (found.isEmpty()) {
                continue;
            }
            JobRecord r = found.get();
            counts.merge(r.state(), 1L, Long::sum);
            total += r.total();
            succeeded += r.succeeded();
            failed += r.failed();
            if (r.state() == JobState.RUNNING) {
                running.add(RecordedProgress.of(r).rate());
            }
            NavigableSet<Key> children = byParent.get(id);
            if (children != null) {
                children.forEach(child -> todo.add(child.id()));
            }
        }
        return new JobStats(counts, total, succeeded, failed, running);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Under the job's monitor, so the page is the items as one step left them: each key once, with its current
     * outcome (a moved item is listed under its new one). Keys after {@code afterKey} in key order; the page's last key
     * is the next cursor.
     */
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

    /**
     * {@inheritDoc}
     *
     * <p>Under the job's monitor, from part {@code after + 1} up the job's own outcome array until the page is full: a
     * part is listed with the outcome the last step stored for it.
     */
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

    /**
     * {@inheritDoc}
     *
     * <p>The part range is {@link JobRules#checkPart}, the rules' one copy of it. Payloads never change after creation;
     * the monitor is taken for the {@code deleted} check.
     */
    @Override
    public Optional<String> partPayload(String id, int part) {
        Entry e = entry(id);
        synchronized (e) {
            checkLive(e);
            JobRules.checkPart(id, e.payloads.length, part);
            return Optional.of(e.payloads[part]);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Under the job's monitor the store numbers the records {@code size + 1, size + 2, …}, so concurrent appenders
     * get unique, gap-free numbers in append order. Logs are not a rule of the job: they are taken in any state (a
     * build's last lines may arrive after it finished) and publish no event.
     */
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

    /**
     * {@inheritDoc}
     *
     * <p>Record {@code seq} sits at index {@code seq - 1} (see {@link #appendLogs}), so the page starts at index
     * {@code afterSeq}. It is copied under the monitor, since the log goes on growing after the monitor is released.
     */
    @Override
    public List<LogEntry> logs(String id, long afterSeq, int limit) {
        Entry e = entry(id);
        synchronized (e) {
            checkLive(e);
            int from = (int) Math.min(Math.max(0, afterSeq), e.logs.size());
            return List.copyOf(e.logs.subList(from, Math.min(e.logs.size(), from + limit)));
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>The reference store's one scan over all jobs, where the other stores read an index per kind: each job is
     * checked with {@link JobRules#isDue}, the same test the expiry repeats. A candidate is only a candidate: the
     * sweep's {@link #transition} re-checks it under the monitor at its own time, so a job that heartbeated, finished
     * or was deleted since is left alone.
     */
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

    /**
     * {@inheritDoc}
     *
     * <p>Not a step of the rules: a job may be deleted in any state, and there is nothing to decide beyond existence.
     * Under the monitor, the job is marked deleted and removed from the map and every index, and DELETED (with the last
     * stored record) is published before the monitor is released, so it follows every earlier event of the job. Of two
     * racing deletes, the second finds the flag set and answers false.
     */
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

    /**
     * Takes a job out of the store; call it holding the entry's monitor. The {@code deleted} flag comes first: threads
     * that found the entry before it left the map see it once they get the monitor. The map entry is removed by
     * identity, so only this entry can go; index sets left empty are dropped.
     */
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

    /**
     * Moves a job between state indexes; call it holding the entry's monitor. It is added to the new state's index
     * before it leaves the old one, so it is never in no state index; while it is in both, a listing by state shows it
     * only under its stored state, which it re-checks ({@link #query}).
     */
    private void move(Entry e, JobState from, JobState to) {
        if (from != to) {
            byState.get(to).add(e.key);
            byState.get(from).remove(e.key);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>In-process only: this store has no other processes to hear. Listeners are called inside the writing job's
     * monitor (see "Events" in the class comment).
     */
    @Override
    public AutoCloseable subscribe(Consumer<StoreEvent> listener) {
        return events.subscribe(listener);
    }

    @Override
    public void close() {
        // Nothing to release.
    }
}
