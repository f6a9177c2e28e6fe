package io.tally.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tally.EventType;
import io.tally.FailureReason;
import io.tally.JobError;
import io.tally.JobFinishedException;
import io.tally.JobQuery;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.Page;
import io.tally.store.ItemUpdate;
import io.tally.store.JobRecord;
import io.tally.store.JobRules;
import io.tally.store.JobStore;
import io.tally.store.LogEntry;
import io.tally.store.NewJob;
import io.tally.store.PartStatus;
import io.tally.store.PartUpdate;
import io.tally.store.PartsOutcome;
import io.tally.store.ProgressUpdate;
import io.tally.store.RecordedProgress;
import io.tally.store.StoreEvent;
import io.tally.store.SweepKind;
import io.tally.store.Transition;
import io.tally.store.memory.MemoryJobStore;
import io.tally.tck.ConcurrencyContract;
import io.tally.testing.MutableClock;
import io.tally.testing.TestServices;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Runs the same seeded random operations against the reference and the Redis store and checks that every answer,
 * every exception, every event (but progress alone, which Redis coalesces) and, after every write, the stored job are
 * the same.
 *
 * <p><b>The reference is the Java rules.</b> What a write does to a job — auto-start, counters, item and part moves,
 * the exactly-once settle, failJob, the rate, the lease, the answers on a finished job, the order of the events — is
 * decided by {@link JobRules} in tally-core, the one Java copy of the rules, which the SQL stores run too. The Redis
 * store runs its own copy in Lua; this test compares the two through {@link MemoryJobStore}, which applies
 * {@link JobRules} to maps: for every write it reads the job under a monitor, calls {@link JobRules#apply} (or
 * {@link JobRules#create}) and stores and publishes what the rules decided. The memory store adds its own code only
 * where the rules have no say, and there it is the reference as written, not the rules: a taken id
 * ({@code JobExistsException}) and an unknown or deleted job ({@code JobNotFoundException}); {@code delete} (its
 * answer and its DELETED event); the reads (query order, cursors and filters, counts by state, the paging of items,
 * parts and logs, log sequence numbers, part payloads); sweep candidates (a scan with {@link JobRules#isDue}, compared
 * here as sorted lists); and the clock, truncated to milliseconds.
 *
 * <p><b>Record by record.</b> After each write step (create, record, recordParts, transition, expire, delete,
 * appendLogs) the job is read back from both stores: {@code find}, then its parts by status, or its items, and after
 * appendLogs its log.
 *
 * <p><b>The settle.</b> Besides random part calls, one step in eleven drives an open job with parts to its end: every
 * pending part delivered in shuffled calls of one to three, some of them failures (up to one more than the job
 * tolerates), some delivered twice; the failed parts retried one by one until the job settles; then the last delivery
 * sent again (a redelivery: {@code changed = 0}, no {@code last}) and sometimes with the other outcome (refused: the job
 * is finished). The run prints how many settles it saw and fails if it saw too few, so that it cannot silently stop
 * exercising the settle.
 *
 * <p>The seed is printed; {@code -Dtally.seed=N} replays a run.
 */
class RedisDifferentialIT {
    /** The fewest settles a run must have seen (a run of 3000 steps sees about 180). */
    private static final int MIN_SETTLES = 20;

    private final String namespace = RedisTestSupport.freshNamespace();
    private final MutableClock clock = MutableClock.startingNow();
    private RedisJobStore redis;
    private MemoryJobStore memory;
    private final List<String> ids = new ArrayList<>();
    private final List<StoreEvent> redisEvents = new CopyOnWriteArrayList<>();
    private final List<StoreEvent> memoryEvents = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> outcomes = new TreeMap<>();
    private final Map<String, Integer> settle = new TreeMap<>();
    private int next;

    @BeforeEach
    void open() {
        redis = RedisTestSupport.open(TestServices.redisUrlUnchecked(), namespace, clock);
        memory = new MemoryJobStore(clock);
        redis.subscribe(redisEvents::add);
        memory.subscribe(memoryEvents::add);
    }

    @AfterEach
    void close() {
        if (redis != null) {
            redis.close();
            assertThat(RedisTestSupport.cleanUp(TestServices.redisUrlUnchecked(), namespace))
                    .isEmpty();
        }
    }

    @Test
    void sameAnswersAsTheReferenceStore() {
        long seed = ConcurrencyContract.seed("RedisDifferentialIT");
        Random rnd = new Random(seed);
        for (int step = 0; step < 3000; step++) {
            int op = rnd.nextInt(110);
            String id = pick(rnd);
            String what = "seed " + seed + ", step " + step + " op " + op + " job " + id;
            if (op >= 100) {
                driveToTheSettle(what, rnd);
            } else if (op < 12) {
                NewJob j = newJob(rnd);
                ids.add(j.id());
                both(what, s -> s.create(j));
                sameStoredJob(what, j.id());
            } else if (op < 30) {
                ProgressUpdate u = update(rnd);
                both(what, s -> s.await(s.record(id, u)));
                sameStoredJob(what, id);
            } else if (op < 50) {
                recordParts(what, id, partUpdates(rnd));
            } else if (op < 58) {
                JobState target = JobState.values()[rnd.nextInt(JobState.values().length)];
                JobError error = rnd.nextBoolean()
                        ? null
                        : new JobError(
                                "boom " + rnd.nextInt(5),
                                rnd.nextBoolean() ? "x.Y" : null,
                                null,
                                FailureReason.values()[rnd.nextInt(FailureReason.values().length)]);
                String result = rnd.nextBoolean() ? null : "{\"r\":" + rnd.nextInt(9) + "}";
                both(what, s -> s.transition(id, Transition.move(target, result, error)));
                sameStoredJob(what, id);
            } else if (op < 62) {
                both(what, s -> s.transition(id, Transition.heartbeat()));
                sameStoredJob(what, id);
            } else if (op < 70) {
                clock.advance(Duration.ofMillis(rnd.nextInt(4) == 0 ? rnd.nextInt(60_000) : rnd.nextInt(1500)));
            } else if (op < 75) {
                SweepKind kind = SweepKind.values()[rnd.nextInt(3)];
                Instant at = clock.instant();
                both(what, s -> sorted(s.sweepCandidates(kind, at, 1000)));
                both(what, s -> s.transition(id, Transition.expire(kind)));
                sameStoredJob(what, id);
            } else if (op < 77) {
                both(what, s -> s.delete(id));
                sameStoredJob(what, id);
            } else if (op < 85) {
                JobQuery.Builder q = JobQuery.builder().limit(1 + rnd.nextInt(4));
                if (rnd.nextBoolean()) {
                    q.state(JobState.values()[rnd.nextInt(6)]);
                }
                if (rnd.nextInt(3) == 0) {
                    q.scope("s" + rnd.nextInt(2));
                }
                if (rnd.nextInt(3) == 0) {
                    q.name("n" + rnd.nextInt(2));
                }
                if (rnd.nextInt(4) == 0 && !ids.isEmpty()) {
                    q.parent(ids.get(rnd.nextInt(ids.size())));
                }
                JobQuery query = q.build();
                both(what, s -> allPages(s, query));
            } else if (op < 87) {
                both(what, JobStore::countByState);
            } else if (op < 90) {
                Outcome o = rnd.nextBoolean() ? null : Outcome.values()[rnd.nextInt(2)];
                String after = rnd.nextBoolean() ? null : "k" + rnd.nextInt(6);
                int limit = 1 + rnd.nextInt(3);
                both(what, s -> s.items(id, o, after, limit));
            } else if (op < 93) {
                PartStatus st = PartStatus.values()[rnd.nextInt(3)];
                int after = rnd.nextInt(5) - 1;
                int limit = 1 + rnd.nextInt(4);
                both(what, s -> s.parts(id, st, after, limit));
            } else if (op < 95) {
                int part = rnd.nextInt(7) - 1;
                both(what, s -> s.partPayload(id, part));
            } else if (op < 97) {
                List<LogEntry> logs = List.of(
                        new LogEntry(0, clock.instant(), "INFO", rnd.nextBoolean() ? null : "lg", "m" + step),
                        new LogEntry(0, clock.instant(), "WARN", null, "w" + step));
                both(what, s -> {
                    s.appendLogs(id, logs);
                    return null;
                });
                same(what + " (the log)", s -> s.logs(id, 0, Integer.MAX_VALUE));
            } else {
                long after = rnd.nextInt(6) - 1;
                int limit = 1 + rnd.nextInt(4);
                both(what, s -> s.logs(id, after, limit));
            }
        }
        System.out.println("RedisDifferentialIT outcomes " + outcomes + ", events " + memoryEvents.size());
        System.out.println("RedisDifferentialIT settles " + settle);
        // Progress alone is coalesced on Redis (at most one message a job per 100 ms of the store's clock, the rest
        // read
        // by the subscriber once the job is quiet: lib.lua's publish_events): every other event is compared in order,
        // and Redis's PROGRESS events are only of jobs the reference published progress of.
        List<StoreEvent> memoryOthers = withoutProgress(memoryEvents);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> withoutProgress(redisEvents).size() >= memoryOthers.size());
        List<StoreEvent> redisOthers = withoutProgress(redisEvents);
        assertThat(redisOthers).hasSize(memoryOthers.size());
        for (int i = 0; i < memoryOthers.size(); i++) {
            assertThat(redisOthers.get(i)).as("event " + i).isEqualTo(memoryOthers.get(i));
        }
        assertThat(progressJobs(memoryEvents)).containsAll(progressJobs(redisEvents));
        // A run that stopped reaching the settle would compare everything else and pass: it must not.
        assertThat(settle.getOrDefault("settled", 0)).as("settles").isGreaterThanOrEqualTo(MIN_SETTLES);
        for (String kind : List.of("with tolerated failures", "by a retry", "redelivered after", "refused after")) {
            assertThat(settle.getOrDefault(kind, 0)).as("settles " + kind).isPositive();
        }
    }

    /** @return a job id: often one of the newest (so that jobs see many calls), sometimes any, rarely a missing one */
    private String pick(Random rnd) {
        if (ids.isEmpty() || rnd.nextInt(20) == 0) {
            return "nope";
        }
        int from = rnd.nextBoolean() ? Math.max(0, ids.size() - 4) : 0;
        return ids.get(from + rnd.nextInt(ids.size() - from));
    }

    /** recordParts on both stores, then the job as stored; counts the settle the reference answered, if any. */
    private PartsOutcome recordParts(String what, String id, List<PartUpdate> parts) {
        Object answer = both(what + " parts " + parts, s -> s.await(s.recordParts(id, parts)));
        JobRecord after = sameStoredJob(what, id);
        if (answer instanceof PartsOutcome o && o.last()) {
            count("settled");
            if (after.failed() > 0) {
                count("with tolerated failures");
            }
            return o;
        }
        return answer instanceof PartsOutcome o ? o : null;
    }

    /**
     * Drives the newest open job with parts to its end: the settle path (see the class comment). Every call is
     * compared; the settle itself is counted by {@link #recordParts}.
     */
    private void driveToTheSettle(String what, Random rnd) {
        JobRecord job = null;
        for (int i = ids.size() - 1; i >= 0 && job == null; i--) {
            JobRecord r = memory.find(ids.get(i)).orElse(null);
            if (r != null && r.hasParts() && !r.state().isTerminal()) {
                job = r;
            }
        }
        if (job == null) {
            return;
        }
        String id = job.id();
        List<Integer> pending = new ArrayList<>(memory.parts(id, PartStatus.PENDING, -1, job.parts()));
        Collections.shuffle(pending, rnd);
        int failures = rnd.nextInt(job.toleratedFailures() + 2); // sometimes one more than the job tolerates
        List<PartUpdate> deliveries = new ArrayList<>();
        for (int p : pending) {
            PartUpdate u = failures-- > 0 ? new PartUpdate(p, Outcome.FAILURE, "flaky", false) : PartUpdate.success(p);
            deliveries.add(u);
            if (rnd.nextInt(5) == 0) {
                deliveries.add(u); // delivered twice
            }
        }
        PartUpdate lastSent = null;
        for (int i = 0; i < deliveries.size(); ) {
            List<PartUpdate> call = deliveries.subList(i, Math.min(deliveries.size(), i + 1 + rnd.nextInt(3)));
            i += call.size();
            recordParts(what + " drive", id, List.copyOf(call));
            lastSent = call.get(call.size() - 1);
        }
        // Too many failures: the job waits for its retries (watchbot's external retry); a retry settles it.
        for (int p : memory.parts(id, PartStatus.FAILED, -1, job.parts())) {
            if (memory.find(id).map(r -> r.state().isTerminal()).orElse(true)) {
                break;
            }
            lastSent = PartUpdate.success(p);
            PartsOutcome o = recordParts(what + " retry", id, List.of(lastSent));
            if (o != null && o.last()) {
                count("by a retry");
            }
        }
        if (lastSent == null || memory.find(id).map(r -> !r.settled()).orElse(true)) {
            return; // failed, cancelled, timed out or deleted on the way: no settle to redeliver after
        }
        PartUpdate again = lastSent;
        if (both(what + " redelivered", s -> s.await(s.recordParts(id, List.of(again)))) instanceof PartsOutcome o
                && o.changed() == 0
                && !o.last()) {
            count("redelivered after");
        }
        if (rnd.nextInt(3) == 0) {
            PartUpdate other = again.outcome() == Outcome.SUCCESS
                    ? new PartUpdate(again.part(), Outcome.FAILURE, "late", false)
                    : PartUpdate.success(again.part());
            if (both(what + " other outcome", s -> s.await(s.recordParts(id, List.of(other)))) instanceof String e
                    && e.startsWith(JobFinishedException.class.getName())) {
                count("refused after");
            }
        }
        sameStoredJob(what, id);
    }

    private void count(String what) {
        settle.merge(what, 1, Integer::sum);
    }

    /**
     * Reads job {@code id} back from both stores and compares it record by record: {@code find}, then its parts by
     * status (a job with parts) or its items (any other).
     *
     * @return the reference's record, or null when the job does not exist
     */
    private JobRecord sameStoredJob(String what, String id) {
        Object found = same(what + " (the stored job)", s -> s.find(id));
        JobRecord r = found instanceof Optional<?> o ? (JobRecord) o.orElse(null) : null;
        if (r == null) {
            return null;
        }
        if (r.hasParts()) {
            for (PartStatus st : PartStatus.values()) {
                same(what + " (its " + st + " parts)", s -> s.parts(id, st, -1, r.parts()));
            }
        } else {
            same(what + " (its items)", s -> s.items(id, null, null, 1000));
        }
        return r;
    }

    private static List<String> sorted(List<String> l) {
        List<String> copy = new ArrayList<>(l);
        Collections.sort(copy);
        return copy;
    }

    private static List<Object> allPages(JobStore s, JobQuery q) {
        List<Object> out = new ArrayList<>();
        JobQuery query = q;
        for (int i = 0; i < 100; i++) {
            Page<JobRecord> page = s.query(query);
            out.add(page);
            if (page.next().isEmpty()) {
                break;
            }
            query = query.toBuilder().cursor(page.next().get()).build();
        }
        return out;
    }

    /** Runs {@code op} on both stores, compares the answers and counts the reference's outcome; returns it. */
    private Object both(String what, Function<JobStore, Object> op) {
        Object expected = same(what, op);
        outcomes.merge(
                expected instanceof String e && e.contains("Exception") ? e.substring(0, e.indexOf(':')) : "ok",
                1,
                Integer::sum);
        return expected;
    }

    /**
     * Runs {@code op} on both stores and compares the answers (an exception as its class and message).
     *
     * @return the reference's answer, or its exception as that text
     */
    private Object same(String what, Function<JobStore, Object> op) {
        Object expected;
        Object actual;
        try {
            expected = op.apply(memory);
        } catch (RuntimeException e) {
            expected = e.getClass().getName() + ": " + e.getMessage();
        }
        try {
            actual = op.apply(redis);
        } catch (RuntimeException e) {
            actual = e.getClass().getName() + ": " + e.getMessage();
        }
        assertThat(progressOnly(actual)).as(what).isEqualTo(progressOnly(expected));
        return expected;
    }

    /** @return {@code answer}, a record call's without the job the reference store keeps at hand and Redis does not */
    static Object progressOnly(Object answer) {
        return answer instanceof RecordedProgress r ? r.withoutJob() : answer;
    }

    private NewJob newJob(Random rnd) {
        String id = "j" + (++next);
        int parts = rnd.nextInt(3) == 0 ? 0 : 1 + rnd.nextInt(5);
        List<String> payloads = new ArrayList<>();
        for (int i = 0; i < parts; i++) {
            payloads.add("{\"jobId\":\"" + id + "\",\"partId\":" + i + "}");
        }
        String parent = rnd.nextInt(4) == 0 && !ids.isEmpty() ? ids.get(rnd.nextInt(ids.size())) : null;
        return new NewJob(
                rnd.nextInt(15) == 0 && !ids.isEmpty() ? ids.get(0) : id,
                "n" + rnd.nextInt(2),
                rnd.nextBoolean() ? null : "s" + rnd.nextInt(2),
                parent,
                "{\"k\":" + rnd.nextInt(3) + "}",
                parts > 0 ? parts : rnd.nextInt(20),
                rnd.nextBoolean(),
                payloads,
                rnd.nextInt(3),
                rnd.nextBoolean() ? null : Duration.ofSeconds(1 + rnd.nextInt(30)),
                rnd.nextBoolean() ? null : Duration.ofSeconds(1 + rnd.nextInt(10)),
                rnd.nextBoolean() ? null : Duration.ofSeconds(1 + rnd.nextInt(60)),
                rnd.nextBoolean() ? null : "hello");
    }

    static ProgressUpdate update(Random rnd) {
        List<ItemUpdate> items = new ArrayList<>();
        int n = rnd.nextInt(3) == 0 ? rnd.nextInt(4) : 0;
        for (int i = 0; i < n; i++) {
            Outcome o = Outcome.values()[rnd.nextInt(2)];
            items.add(
                    new ItemUpdate("k" + rnd.nextInt(6), o, o == Outcome.FAILURE && rnd.nextBoolean() ? "bad" : null));
        }
        return new ProgressUpdate(
                rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(5),
                rnd.nextInt(4) == 0 ? rnd.nextInt(3) : 0,
                items,
                rnd.nextInt(5) == 0 ? rnd.nextInt(10) : 0,
                rnd.nextInt(4) == 0 ? "msg " + rnd.nextInt(100) : null);
    }

    static List<PartUpdate> partUpdates(Random rnd) {
        List<PartUpdate> parts = new ArrayList<>();
        int n = 1 + rnd.nextInt(3);
        for (int i = 0; i < n; i++) {
            int p = rnd.nextInt(30) == 0 ? 7 : rnd.nextInt(5);
            if (rnd.nextInt(4) == 0) {
                parts.add(new PartUpdate(p, Outcome.FAILURE, rnd.nextBoolean() ? "why" : null, rnd.nextInt(4) == 0));
            } else {
                parts.add(PartUpdate.success(p));
            }
        }
        return parts;
    }

    private static List<StoreEvent> withoutProgress(List<StoreEvent> events) {
        return events.stream().filter(e -> e.type() != EventType.PROGRESS).toList();
    }

    private static java.util.Set<String> progressJobs(List<StoreEvent> events) {
        return events.stream()
                .filter(e -> e.type() == EventType.PROGRESS)
                .map(e -> e.record().id())
                .collect(java.util.stream.Collectors.toSet());
    }
}
