package io.tally.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tally.FailureReason;
import io.tally.JobError;
import io.tally.JobQuery;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.Page;
import io.tally.store.ItemUpdate;
import io.tally.store.JobRecord;
import io.tally.store.JobStore;
import io.tally.store.LogEntry;
import io.tally.store.NewJob;
import io.tally.store.PartStatus;
import io.tally.store.PartUpdate;
import io.tally.store.ProgressUpdate;
import io.tally.store.StoreEvent;
import io.tally.store.SweepKind;
import io.tally.store.Transition;
import io.tally.store.memory.MemoryJobStore;
import io.tally.testing.MutableClock;
import io.tally.testing.TestServices;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Runs the same seeded random operations against the reference {@link MemoryJobStore} and the Redis store and checks
 * that every answer, every exception and every event is the same. Seed from {@code -Dtally.seed}.
 */
class RedisDifferentialIT {
    private final String namespace = RedisTestSupport.freshNamespace();
    private final MutableClock clock = MutableClock.startingNow();
    private RedisJobStore redis;
    private MemoryJobStore memory;
    private final List<String> ids = new ArrayList<>();
    private final List<StoreEvent> redisEvents = new CopyOnWriteArrayList<>();
    private final List<StoreEvent> memoryEvents = new CopyOnWriteArrayList<>();

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
        String prop = System.getProperty("tally.seed");
        long seed = prop == null || prop.isBlank() ? System.nanoTime() : Long.parseLong(prop);
        System.out.println("RedisDifferentialIT seed " + seed + " (-Dtally.seed=" + seed + ")");
        Random rnd = new Random(seed);
        for (int step = 0; step < 3000; step++) {
            int op = rnd.nextInt(100);
            String id = ids.isEmpty() || rnd.nextInt(20) == 0 ? "nope" : ids.get(rnd.nextInt(ids.size()));
            String what = "step " + step + " op " + op + " job " + id;
            if (op < 12) {
                NewJob j = newJob(rnd);
                ids.add(j.id());
                both(what, s -> s.create(j));
            } else if (op < 30) {
                ProgressUpdate u = update(rnd);
                both(what, s -> s.await(s.record(id, u)));
            } else if (op < 50) {
                List<PartUpdate> parts = partUpdates(rnd);
                both(what, s -> s.await(s.recordParts(id, parts)));
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
            } else if (op < 62) {
                both(what, s -> s.transition(id, Transition.heartbeat()));
            } else if (op < 70) {
                clock.advance(Duration.ofMillis(rnd.nextInt(4) == 0 ? rnd.nextInt(60_000) : rnd.nextInt(1500)));
            } else if (op < 75) {
                SweepKind kind = SweepKind.values()[rnd.nextInt(3)];
                Instant at = clock.instant();
                both(what, s -> sorted(s.sweepCandidates(kind, at, 1000)));
                both(what, s -> s.transition(id, Transition.expire(kind)));
            } else if (op < 77) {
                both(what, s -> s.delete(id));
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
            } else {
                long after = rnd.nextInt(6) - 1;
                int limit = 1 + rnd.nextInt(4);
                both(what, s -> s.logs(id, after, limit));
            }
        }
        System.out.println("RedisDifferentialIT outcomes " + outcomes + ", events " + memoryEvents.size());
        await().atMost(Duration.ofSeconds(10)).until(() -> redisEvents.size() >= memoryEvents.size());
        assertThat(redisEvents).hasSize(memoryEvents.size());
        for (int i = 0; i < memoryEvents.size(); i++) {
            assertThat(redisEvents.get(i)).as("event " + i).isEqualTo(memoryEvents.get(i));
        }
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

    private void both(String what, Function<JobStore, Object> op) {
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
        assertThat(actual).as(what).isEqualTo(expected);
        outcomes.merge(
                expected instanceof String e && e.contains("Exception") ? e.substring(0, e.indexOf(':')) : "ok",
                1,
                Integer::sum);
    }

    private final java.util.Map<String, Integer> outcomes = new java.util.TreeMap<>();

    private int next;

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
                rnd.nextInt(2),
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
}
