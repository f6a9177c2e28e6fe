package io.tally.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.tally.JobNotFoundException;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.store.ItemUpdate;
import io.tally.store.JobRecord;
import io.tally.store.JobStore;
import io.tally.store.NewJob;
import io.tally.store.PartUpdate;
import io.tally.store.PartsOutcome;
import io.tally.store.ProgressUpdate;
import io.tally.store.RecordedProgress;
import io.tally.store.memory.MemoryJobStore;
import io.tally.tck.ConcurrencyContract;
import io.tally.testing.MutableClock;
import io.tally.testing.TestServices;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Group commit: calls of several threads that queue while function calls are in flight go to Redis in one write call,
 * and each still gets the answer it would have got alone. The batch is made deterministic by pausing the server's
 * writes until the calls have queued.
 */
class WriteBatcherIT {
    private final MutableClock clock = MutableClock.startingNow();
    private final String namespace = RedisTestSupport.freshNamespace();
    private final ExecutorService pool = Executors.newFixedThreadPool(8);
    private RedisJobStore store;
    private RedisClient client;
    private StatefulRedisConnection<String, String> admin;

    @BeforeEach
    void open() {
        store = RedisTestSupport.open(TestServices.redisUrlUnchecked(), namespace, clock);
        store.create(job("blocker", 0)); // the job of the calls that fill the in-flight slots (fillInFlight)
        client = RedisClient.create(TestServices.redisUrlUnchecked());
        admin = client.connect();
    }

    @AfterEach
    void close() throws Exception {
        client(admin.sync(), "UNPAUSE");
        pool.shutdownNow();
        store.close();
        admin.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        RedisTestSupport.cleanUp(TestServices.redisUrlUnchecked(), namespace);
    }

    private static NewJob job(String id, int parts) {
        return job(id, parts, true, 0, null);
    }

    /** @return a job named "n" with {@code parts} parts of payload {}, started or not */
    private static NewJob job(String id, int parts, boolean start, int tolerated, Duration heartbeat) {
        return new NewJob(
                id,
                "n",
                null,
                null,
                "{}",
                parts,
                start,
                java.util.Collections.nCopies(parts, "{}"),
                tolerated,
                null,
                heartbeat,
                null,
                null);
    }

    private static long fcallCalls(RedisCommands<String, String> redis) {
        String stats = redis.info("commandstats");
        for (String line : stats.split("\r?\n")) {
            if (line.startsWith("cmdstat_fcall:calls=")) {
                return Long.parseLong(line.substring("cmdstat_fcall:calls=".length(), line.indexOf(',')));
            }
        }
        return 0;
    }

    @Test
    void oneCallersAsyncCallsAreAppliedInTheOrderItMadeThem() {
        // Batches taken by a caller's thread and by the sender after a reply must reach Redis in the order they were
        // taken: a batch handed over on the I/O thread once overtook one handed over just before (a run in four).
        for (int round = 0; round < 100; round++) {
            String id = "ordered-" + round;
            store.create(job(id, 0));
            List<CompletableFuture<RecordedProgress>> answers = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                answers.add(store.record(id, ProgressUpdate.item(new ItemUpdate("k" + i, Outcome.SUCCESS, null))));
            }
            for (int i = 0; i < answers.size(); i++) {
                assertThat(answers.get(i).join().succeeded())
                        .as("round %d, call %d", round, i)
                        .isEqualTo(i + 1);
            }
        }
    }

    @Test
    void callsQueuedTogetherGoInOneScriptCallAndEachGetsItsOwnAnswer() throws Exception {
        store.create(job("p", 3));
        store.create(job("counter", 0));
        RedisCommands<String, String> redis = admin.sync();

        // Blocking calls fill the in-flight slots and hang on the paused server; the next four queue behind them.
        client(redis, "PAUSE", "10000", "WRITE");
        long before = fcallCalls(redis);
        List<Future<RecordedProgress>> blockers = fillInFlight();
        Future<PartsOutcome> a = pool.submit(
                () -> store.await(store.recordParts("p", List.of(PartUpdate.success(0), PartUpdate.success(1)))));
        Future<PartsOutcome> c = pool.submit(
                () -> store.await(store.recordParts("p", List.of(PartUpdate.success(1), PartUpdate.success(2)))));
        Future<RecordedProgress> missing =
                pool.submit(() -> store.await(store.record("missing", new ProgressUpdate(1, 0, List.of(), 0, null))));
        Future<RecordedProgress> counter =
                pool.submit(() -> store.await(store.record("counter", new ProgressUpdate(5, 0, List.of(), 0, null))));
        await().until(() -> store.writes().queued() == 4);
        client(redis, "UNPAUSE");

        for (Future<RecordedProgress> b : blockers) {
            assertThat(b.get(10, TimeUnit.SECONDS).succeeded()).isBetween(1L, (long) WriteBatcher.MAX_IN_FLIGHT);
        }
        PartsOutcome ra = a.get(10, TimeUnit.SECONDS);
        PartsOutcome rc = c.get(10, TimeUnit.SECONDS);
        // Applied one after the other: the first sets two parts, the second one more (part 1 again) and settles.
        PartsOutcome first = ra.last() ? rc : ra;
        PartsOutcome second = ra.last() ? ra : rc;
        assertThat(first.last()).isFalse();
        assertThat(first.changed()).isEqualTo(2);
        assertThat(first.remaining()).isEqualTo(1);
        assertThat(second.last()).isTrue();
        assertThat(second.changed()).isEqualTo(1);
        assertThat(second.remaining()).isZero();
        assertThatThrownBy(() -> missing.get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(JobNotFoundException.class);
        assertThat(counter.get(10, TimeUnit.SECONDS).succeeded())
                .as("%s", counter.get())
                .isEqualTo(5);
        // The blockers, then the four queued calls as one batch.
        assertThat(fcallCalls(redis) - before).isEqualTo(WriteBatcher.MAX_IN_FLIGHT + 1);

        JobRecord p = store.find("p").orElseThrow();
        assertThat(p.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(p.succeeded()).isEqualTo(3);
        assertThat(store.query(io.tally.JobQuery.builder()
                                .state(JobState.SUCCEEDED)
                                .build())
                        .items())
                .extracting(JobRecord::id)
                .containsExactly("p");
        assertThat(store.find("blocker").orElseThrow().succeeded()).isEqualTo(WriteBatcher.MAX_IN_FLIGHT);
    }

    @Test
    void aBatchAnswersEveryCallAsTheReferenceStoreDoesOneCallAtATime() throws Exception {
        // Calls queued in a fixed order while the server is paused go as one write call: runs of recordParts on one
        // job (shared reads and writes), a job settled or failed part-way through a run, duplicates, bad part numbers,
        // counts and items on another job, a missing job; recordParts calls answered with or without the job, the
        // batch stamped 0-2.5 s after the jobs' last write (so the rate folds or not). Every answer must equal the
        // memory store's, call by call.
        long seed = ConcurrencyContract.seed("WriteBatcherIT");
        Random rnd = new Random(seed);
        MemoryJobStore memory = new MemoryJobStore(clock);
        for (int round = 0; round < 25; round++) {
            String p = "p" + round;
            String c = "c" + round;
            for (JobStore s : List.of(store, memory)) {
                s.create(job(p, 5, rnd.nextBoolean(), 1, null));
                s.create(job(c, 0));
                // The store learns the jobs' fixed fields, so that the calls below can be answered from a run.
                s.await(s.recordParts(p, List.of(PartUpdate.success(0))));
                s.await(s.record(c, new ProgressUpdate(1, 0, List.of(), 0, null)));
            }
            // A second write 1.5 s later folds a first rate, so that the batch's calls fold into an existing one.
            clock.advance(Duration.ofMillis(1_500));
            for (JobStore s : List.of(store, memory)) {
                s.await(s.recordParts(p, List.of(PartUpdate.success(0))));
                s.await(s.record(c, new ProgressUpdate(1, 0, List.of(), 0, null)));
            }
            List<Object[]> calls = new ArrayList<>(); // {job, ProgressUpdate or List<PartUpdate>}
            for (int i = 0; i < 14; i++) {
                int pick = rnd.nextInt(10);
                if (pick < 6) {
                    calls.add(new Object[] {p, RedisDifferentialIT.partUpdates(rnd)});
                } else if (pick < 9) {
                    calls.add(new Object[] {c, RedisDifferentialIT.update(rnd)});
                } else {
                    calls.add(new Object[] {rnd.nextBoolean() ? "missing" : c, RedisDifferentialIT.partUpdates(rnd)});
                }
            }
            clock.advance(Duration.ofMillis(rnd.nextInt(2_500)));
            List<Object> answers = sendAsOneBatchAndCompare(calls, memory, "seed " + seed + ", round " + round);
            assertThat(store.find(p)).as("seed %d", seed).isEqualTo(memory.find(p));
            assertThat(store.find(c)).as("seed %d", seed).isEqualTo(memory.find(c));
            Map<String, String[]> before = new HashMap<>();
            before.put("0", new String[] {Outcome.SUCCESS.name(), null});
            assertThat(new TreeMap<>(admin.sync()
                            .hgetall(Keys.single(namespace).bucketOf(p).partErrors(p))))
                    .as("seed %d, round %d: the reasons of failed parts", seed, round)
                    .isEqualTo(reasonsAfter(p, before, calls, answers));
        }
    }

    @Test
    void runsOfPartsOnARunningJobAnswerAsTheReferenceStore() throws Exception {
        // Runs of recordParts calls on one RUNNING job (completePart/failPart without failJob) read and write their
        // parts once per run, each call answered against the outcomes so far, the settle mid-run included. Seeded
        // rounds cover duplicates, failures within and
        // beyond the tolerance, part numbers out of range, the settle mid-run and calls after it.
        long seed = ConcurrencyContract.seed("WriteBatcherIT");
        Random rnd = new Random(seed);
        MemoryJobStore memory = new MemoryJobStore(clock);
        for (int round = 0; round < 30; round++) {
            String id = "fast" + round;
            int parts = 4 + rnd.nextInt(4);
            int tolerated = rnd.nextInt(3);
            Duration heartbeat = rnd.nextBoolean() ? Duration.ofSeconds(30) : null;
            for (JobStore s : List.of(store, memory)) {
                s.create(job(id, parts, true, tolerated, heartbeat));
                s.await(s.recordParts(id, List.of(PartUpdate.success(0))));
            }
            clock.advance(Duration.ofMillis(1_500)); // a first rate, so that the batch folds into it
            for (JobStore s : List.of(store, memory)) {
                s.await(s.recordParts(id, List.of(PartUpdate.success(0))));
            }
            // Two batches, so that the second meets reasons the first stored (dropped when a part succeeds after all).
            Map<String, String[]> outcomes = new HashMap<>();
            outcomes.put("0", new String[] {Outcome.SUCCESS.name(), null});
            for (int batch = 0; batch < 2; batch++) {
                clock.advance(Duration.ofMillis(rnd.nextInt(2_500)));
                List<Object[]> calls = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    List<PartUpdate> updates = new ArrayList<>();
                    for (int k = 1 + rnd.nextInt(2); k > 0; k--) {
                        int part = rnd.nextInt(25) == 0 ? parts + 2 : rnd.nextInt(parts);
                        String why = rnd.nextBoolean() ? "why" + rnd.nextInt(3) : null;
                        updates.add(
                                rnd.nextInt(3) == 0
                                        ? new PartUpdate(part, Outcome.FAILURE, why, false)
                                        : PartUpdate.success(part));
                    }
                    calls.add(new Object[] {id, updates});
                }
                String context = "seed " + seed + ", round " + round + ", batch " + batch;
                List<Object> answers = sendAsOneBatchAndCompare(calls, memory, context);
                assertThat(store.find(id)).as(context).isEqualTo(memory.find(id));
                assertThat(new TreeMap<>(admin.sync()
                                .hgetall(Keys.single(namespace).bucketOf(id).partErrors(id))))
                        .as("%s: the reasons of failed parts", context)
                        .isEqualTo(reasonsAfter(id, outcomes, calls, answers));
            }
        }
    }

    @Test
    void aFailedPartThatSucceedsAndFailsAgainWithoutAReasonInOneBatchLosesItsReason() throws Exception {
        // One run of recordParts calls moves part 1 from 'failed: disk full' to succeeded
        // and back to failed without a reason: the stored outcome is the same, the reason is not.
        MemoryJobStore memory = new MemoryJobStore(clock);
        for (JobStore s : List.of(store, memory)) {
            s.create(job("r", 3));
            s.await(s.recordParts("r", List.of(new PartUpdate(1, Outcome.FAILURE, "disk full", false))));
        }
        assertThat(admin.sync().hgetall(Keys.single(namespace).bucketOf("r").partErrors("r")))
                .containsExactly(Map.entry("1", "disk full"));
        List<Object[]> calls = List.of(new Object[] {"r", List.of(PartUpdate.success(1))}, new Object[] {
            "r", List.of(new PartUpdate(1, Outcome.FAILURE, null, false))
        });
        sendAsOneBatchAndCompare(calls, memory, "fail, succeed, fail");
        assertThat(store.find("r")).isEqualTo(memory.find("r"));
        assertThat(admin.sync().hgetall(Keys.single(namespace).bucketOf("r").partErrors("r")))
                .isEmpty();
    }

    @Test
    void recordsAnswerAsTheReferenceStore() throws Exception {
        // Record calls (recordSuccess/recordFailure through Job, counts, several items) on RUNNING, PENDING, finished
        // and parts jobs. Seeded rounds mix them, on jobs with
        // and without a heartbeat, with new, repeated and moved items, counts, total increases and messages, stamped
        // 0-2.5 s after the last write. Every answer, each job and its items must equal the memory store's.
        long seed = ConcurrencyContract.seed("WriteBatcherIT");
        Random rnd = new Random(seed);
        MemoryJobStore memory = new MemoryJobStore(clock);
        for (int round = 0; round < 30; round++) {
            List<String> ids = new ArrayList<>();
            for (int j = 0; j < 4; j++) {
                String id = "b" + round + "-" + j;
                ids.add(id);
                boolean start = j != 3 || rnd.nextBoolean();
                Duration heartbeat = rnd.nextBoolean() ? Duration.ofSeconds(30) : null;
                int parts = j == 2 && rnd.nextInt(3) == 0 ? 2 : 0;
                for (JobStore s : List.of(store, memory)) {
                    s.create(job(id, parts, start, 0, heartbeat));
                    if (start && parts == 0) {
                        s.await(s.record(
                                id, ProgressUpdate.item(new io.tally.store.ItemUpdate("k0", Outcome.SUCCESS, null))));
                    }
                }
            }
            if (rnd.nextInt(4) == 0) {
                for (JobStore s : List.of(store, memory)) {
                    s.transition(ids.get(1), io.tally.store.Transition.move(JobState.CANCELLED, null, null));
                }
            }
            clock.advance(Duration.ofMillis(rnd.nextBoolean() ? 1_500 : 200));
            List<Object[]> calls = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                String id = rnd.nextInt(20) == 0 ? "missing" : ids.get(rnd.nextInt(ids.size()));
                ProgressUpdate u = rnd.nextInt(3) == 0
                        ? RedisDifferentialIT.update(rnd)
                        : ProgressUpdate.item(new io.tally.store.ItemUpdate(
                                "k" + rnd.nextInt(12),
                                rnd.nextInt(4) == 0 ? Outcome.FAILURE : Outcome.SUCCESS,
                                rnd.nextBoolean() ? "why" : null));
                calls.add(new Object[] {id, u});
            }
            clock.advance(Duration.ofMillis(rnd.nextInt(2_500)));
            sendAsOneBatchAndCompare(calls, memory, "seed " + seed + ", round " + round);
            for (String id : ids) {
                assertThat(store.find(id))
                        .as("seed %d, round %d, %s", seed, round, id)
                        .isEqualTo(memory.find(id));
                for (Outcome o : Outcome.values()) {
                    assertThat(store.items(id, o, null, 100))
                            .as("seed %d, round %d, %s %s items", seed, round, id, o)
                            .isEqualTo(memory.items(id, o, null, 100));
                }
            }
        }
    }

    /**
     * A call in a batch that would take a counter past 2^53 − 1 (write.lua learns it only while applying the run) is
     * refused and the rest of its run applied call by call: answers, jobs and items as the memory store's. Runs of one
     * item key over several calls (its outcome written before the run is applied), of several keys, of counts and
     * totals, and lone calls.
     */
    @Test
    void aCallPastTheCounterLimitInABatchIsRefusedAloneAsTheReferenceStoreRefusesIt() throws Exception {
        long max = io.tally.internal.Validation.MAX_COUNT;
        MemoryJobStore memory = new MemoryJobStore(clock);
        List<String> ids = List.of("one-key", "keys", "counts", "lone-item", "lone-count");
        // (in two windows of the rate: Lua's rateAcc, the units of the open window, is a double too, and one window
        // of more than 2^53 units would be rounded there)
        for (JobStore s : List.of(store, memory)) {
            for (String id : ids) {
                s.create(job(id, 0));
                s.await(s.record(id, new ProgressUpdate(max - 2, 0, List.of(), max - 1, null)));
            }
        }
        clock.advance(Duration.ofSeconds(2));
        for (JobStore s : List.of(store, memory)) {
            for (String id : ids) {
                s.await(s.record(id, ProgressUpdate.counts(0, id.equals("lone-item") ? max : max - 1)));
            }
        }
        clock.advance(Duration.ofSeconds(2));
        List<Object[]> calls = new ArrayList<>();
        calls.add(new Object[] {"one-key", ProgressUpdate.counts(0, 1)});
        // (one-key: the run's last value of k is F, refused, yet what write.lua writes first)
        for (String[] c : new String[][] {
            {"one-key", "k", "F"},
            {"one-key", "k", "S"},
            {"one-key", "k", "F"},
            {"keys", "a", "S"},
            {"keys", "b", "F"},
            {"keys", "c", "S"},
            {"keys", "d", "S"},
            {"keys", "a", "S"},
            {"lone-item", "x", "F"}
        }) {
            Outcome o = c[2].equals("S") ? Outcome.SUCCESS : Outcome.FAILURE;
            calls.add(new Object[] {c[0], ProgressUpdate.item(new io.tally.store.ItemUpdate(c[1], o, "why"))});
        }
        calls.add(new Object[] {"counts", ProgressUpdate.counts(1, 0)});
        calls.add(new Object[] {"counts", new ProgressUpdate(0, 0, List.of(), 2, "past the total")});
        calls.add(new Object[] {"counts", new ProgressUpdate(1, 0, List.of(), 1, "to the limit")});
        calls.add(new Object[] {"counts", ProgressUpdate.counts(0, 1)});
        calls.add(new Object[] {"counts", ProgressUpdate.counts(0, 1)});
        calls.add(new Object[] {"lone-count", ProgressUpdate.counts(3, 0)});
        List<Object> answers = sendAsOneBatchAndCompare(calls, memory, "past the limit");
        assertThat(answers)
                .as("refusals among the answers")
                .filteredOn(a -> a instanceof String s && s.contains("would pass " + max))
                .hasSize(7);
        for (String id : ids) {
            assertThat(store.find(id)).as(id).isEqualTo(memory.find(id));
            for (Outcome o : Outcome.values()) {
                assertThat(store.items(id, o, null, 100))
                        .as("%s %s items", id, o)
                        .isEqualTo(memory.items(id, o, null, 100));
            }
        }
    }

    /**
     * The kit's refusal-past-the-limit sequence (one caller: items, a count that would pass 2^53 − 1, a key again),
     * split into batches every possible way: whatever the split, each call is answered as the reference store answers
     * it, and the job ends the same.
     */
    @Test
    void everySplitOfOneCallersCallsAcrossTheLimitAnswersAsTheReferenceStore() throws Exception {
        long max = io.tally.internal.Validation.MAX_COUNT;
        MemoryJobStore memory = new MemoryJobStore(clock);
        List<ProgressUpdate> sequence = List.of(
                ProgressUpdate.item(new io.tally.store.ItemUpdate("k1", Outcome.SUCCESS, null)),
                ProgressUpdate.counts(3, 0),
                ProgressUpdate.item(new io.tally.store.ItemUpdate("k2", Outcome.SUCCESS, null)),
                ProgressUpdate.item(new io.tally.store.ItemUpdate("k3", Outcome.SUCCESS, null)),
                ProgressUpdate.item(new io.tally.store.ItemUpdate("k1", Outcome.SUCCESS, null)),
                ProgressUpdate.counts(1, 0),
                ProgressUpdate.item(new io.tally.store.ItemUpdate("k4", Outcome.SUCCESS, null)));
        for (int split = 0; split < 1 << (sequence.size() - 1); split++) {
            String id = "split-" + split;
            for (JobStore s : List.of(store, memory)) {
                s.create(job(id, 0));
                s.await(s.record(id, ProgressUpdate.counts(max - 3, 0)));
            }
            List<Object[]> batch = new ArrayList<>();
            for (int i = 0; i < sequence.size(); i++) {
                batch.add(new Object[] {id, sequence.get(i)});
                if (i == sequence.size() - 1 || (split >> i & 1) == 1) {
                    sendAsOneBatchAndCompare(batch, memory, "split " + Integer.toBinaryString(split));
                    batch = new ArrayList<>();
                }
            }
            assertThat(store.find(id))
                    .as("split %s", Integer.toBinaryString(split))
                    .isEqualTo(memory.find(id));
        }
    }

    @Test
    void manyThreadsOnFewJobsLoseNoCall() throws Exception {
        // Several batches are drained at once when several function calls are in flight; every call must land in
        // exactly
        // one.
        int threads = 32;
        int calls = 1_500;
        for (int j = 0; j < 4; j++) {
            store.create(job("j" + j, 0));
        }
        ExecutorService many = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String id = "j" + (t % 4);
                done.add(many.submit(() -> {
                    for (int i = 0; i < calls; i++) {
                        store.await(store.record(id, new ProgressUpdate(1, 0, List.of(), 0, null)));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            many.shutdownNow();
        }
        for (int j = 0; j < 4; j++) {
            assertThat(store.find("j" + j).orElseThrow().succeeded()).isEqualTo((long) threads / 4 * calls);
        }
    }

    /**
     * Queues {@code calls} ({job, ProgressUpdate or List<PartUpdate>}) behind {@link WriteBatcher#MAX_IN_FLIGHT}
     * paused in-flight calls, so that they go as one batch, then checks every answer against the memory store's, call by call.
     *
     * @return the memory store's answers, an exception rendered as its class and message
     */
    private List<Object> sendAsOneBatchAndCompare(List<Object[]> calls, MemoryJobStore memory, String context)
            throws Exception {
        RedisCommands<String, String> redis = admin.sync();
        client(redis, "PAUSE", "10000", "WRITE");
        List<Future<RecordedProgress>> blockers = fillInFlight();
        List<java.util.concurrent.CompletableFuture<?>> replies = new ArrayList<>();
        for (Object[] call : calls) {
            replies.add(
                    call[1] instanceof ProgressUpdate u
                            ? store.record((String) call[0], u)
                            : store.recordParts((String) call[0], partsOf(call[1])));
        }
        assertThat(store.writes().queued()).isEqualTo(calls.size());
        client(redis, "UNPAUSE");
        for (Future<RecordedProgress> b : blockers) {
            b.get(10, TimeUnit.SECONDS);
        }
        List<Object> answers = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            Object[] call = calls.get(i);
            String id = (String) call[0];
            java.util.concurrent.CompletableFuture<?> reply = replies.get(i);
            Object got = outcome(() -> store.await(reply));
            Object want = outcome(() -> call[1] instanceof ProgressUpdate u
                    ? memory.await(memory.record(id, u))
                    : memory.await(memory.recordParts(id, partsOf(call[1]))));
            assertThat(RedisDifferentialIT.progressOnly(got))
                    .as("%s, call %d: %s %s", context, i, id, call[1])
                    .isEqualTo(RedisDifferentialIT.progressOnly(want));
            answers.add(want);
        }
        return answers;
    }

    /**
     * The reasons of job {@code id}'s failed parts as the memory store keeps them (a part's reason changes only with its
     * outcome), from {@code parts} (part -> {outcome, reason}, updated in place so that the next batch goes on from it)
     * and the recordParts calls on it among {@code calls}, with the memory store's {@code answers}: a call answered
     * with an exception changed nothing.
     */
    private static Map<String, String> reasonsAfter(
            String id, Map<String, String[]> parts, List<Object[]> calls, List<Object> answers) {
        for (int i = 0; i < calls.size(); i++) {
            if (!calls.get(i)[0].equals(id) || !(calls.get(i)[1] instanceof List) || answers.get(i) instanceof String) {
                continue; // another job's, a record, or refused (outcome() renders exceptions as strings)
            }
            for (PartUpdate u : partsOf(calls.get(i)[1])) {
                String[] now = parts.get(Integer.toString(u.part()));
                if (now == null || !now[0].equals(u.outcome().name())) {
                    parts.put(
                            Integer.toString(u.part()),
                            new String[] {u.outcome().name(), u.reason()});
                }
            }
        }
        Map<String, String> reasons = new TreeMap<>();
        parts.forEach((part, o) -> {
            if (o[0].equals(Outcome.FAILURE.name()) && o[1] != null) {
                reasons.put(part, o[1]);
            }
        });
        return reasons;
    }

    /**
     * Sends {@link WriteBatcher#MAX_IN_FLIGHT} calls that hang on the paused server, one at a time (two sent together
     * could share one function call).
     */
    private List<Future<RecordedProgress>> fillInFlight() {
        List<Future<RecordedProgress>> blockers = new ArrayList<>();
        for (int i = 1; i <= WriteBatcher.MAX_IN_FLIGHT; i++) {
            blockers.add(pool.submit(
                    () -> store.await(store.record("blocker", new ProgressUpdate(1, 0, List.of(), 0, null)))));
            int sent = i;
            await().pollInterval(Duration.ofMillis(2))
                    .until(() -> store.writes().inFlight() == sent);
        }
        return blockers;
    }

    @SuppressWarnings("unchecked")
    private static List<PartUpdate> partsOf(Object o) {
        return (List<PartUpdate>) o;
    }

    private static Object outcome(java.util.concurrent.Callable<Object> call) {
        try {
            return call.call();
        } catch (Exception e) {
            return e.getClass().getName() + ": " + e.getMessage();
        }
    }

    private static void client(RedisCommands<String, String> redis, String... args) {
        io.lettuce.core.protocol.CommandArgs<String, String> a =
                new io.lettuce.core.protocol.CommandArgs<>(io.lettuce.core.codec.StringCodec.UTF8);
        for (String arg : args) {
            a.add(arg);
        }
        redis.dispatch(
                io.lettuce.core.protocol.CommandType.CLIENT,
                new io.lettuce.core.output.StatusOutput<>(io.lettuce.core.codec.StringCodec.UTF8),
                a);
    }
}
