package io.tally.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.tally.EventType;
import io.tally.Job;
import io.tally.JobQuery;
import io.tally.JobSnapshot;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.PartCompletion;
import io.tally.StoreUnavailableException;
import io.tally.Tally;
import io.tally.internal.Json;
import io.tally.store.ItemUpdate;
import io.tally.store.JobRecord;
import io.tally.store.JobStore;
import io.tally.store.NewJob;
import io.tally.store.PartStatus;
import io.tally.store.PartUpdate;
import io.tally.store.PartsOutcome;
import io.tally.store.ProgressUpdate;
import io.tally.store.RecordedProgress;
import io.tally.store.StoreEvent;
import io.tally.store.SweepKind;
import io.tally.store.Transition;
import io.tally.tck.ConcurrencyContract;
import io.tally.testing.MutableClock;
import io.tally.testing.TestServices;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the kit cannot say about Redis: namespaces, connection loss, big batches, URLs. */
class RedisStoreBehaviourIT {
    private static final String REDIS = TestServices.redisUrlUnchecked();
    private final MutableClock clock = MutableClock.startingNow();
    private final List<String[]> namespaces = new ArrayList<>();
    private final List<AutoCloseable> open = new ArrayList<>();

    private RedisJobStore store(String url, String namespace) {
        RedisJobStore s = RedisTestSupport.open(url, namespace, clock);
        namespaces.add(new String[] {url, namespace});
        open.add(s);
        return s;
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        for (String[] n : namespaces) {
            RedisTestSupport.cleanUp(n[0], n[1]);
        }
    }

    private static NewJob job(String id, String name, int parts) {
        List<String> payloads = new ArrayList<>(parts);
        for (int i = 0; i < parts; i++) {
            payloads.add("{\"jobId\":\"" + id + "\",\"partId\":" + i + "}");
        }
        return new NewJob(
                id, name, "user:1", null, "{}", parts, true, payloads, 0, null, null, Duration.ofMinutes(1), null);
    }

    @Test
    void twoNamespacesDoNotSeeEachOthersJobs() throws Exception {
        String ns = RedisTestSupport.freshNamespace();
        RedisJobStore a = store(REDIS, ns + "-a");
        RedisJobStore b = store(REDIS, ns + "-b");
        List<StoreEvent> seenByB = new CopyOnWriteArrayList<>();
        List<StoreEvent> seenByA = new CopyOnWriteArrayList<>();
        b.subscribe(seenByB::add);
        a.subscribe(seenByA::add);

        a.create(job("same-id", "n", 0));
        a.create(job("only-a", "n", 2));
        a.transition("only-a", io.tally.store.Transition.start());
        a.await(a.recordParts("only-a", List.of(PartUpdate.success(0), PartUpdate.success(1))));
        b.create(job("same-id", "other", 0));

        assertThat(a.find("same-id").orElseThrow().name()).isEqualTo("n");
        assertThat(b.find("same-id").orElseThrow().name()).isEqualTo("other");
        assertThat(b.find("only-a")).isEmpty();
        assertThat(b.query(JobQuery.builder().build()).items())
                .extracting(JobRecord::id)
                .containsExactly("same-id");
        assertThat(b.query(JobQuery.builder().scope("user:1").build()).items()).hasSize(1);
        assertThat(a.query(JobQuery.builder().build()).items()).hasSize(2);
        assertThat(b.countByState().get(JobState.SUCCEEDED)).isZero();
        assertThat(a.countByState().get(JobState.SUCCEEDED)).isOne();
        assertThat(b.sweepCandidates(SweepKind.RETENTION, Instant.MAX, 10)).isEmpty();
        assertThat(a.sweepCandidates(SweepKind.RETENTION, clock.instant().plus(Duration.ofHours(1)), 10))
                .containsExactly("only-a");
        assertThat(b.delete("only-a")).isFalse();

        await().until(() -> seenByA.size() >= 6 && seenByB.size() >= 2);
        assertThat(seenByB).extracting(e -> e.record().name()).containsOnly("other");
        assertThat(seenByA).extracting(e -> e.record().name()).containsOnly("n");
        assertThat(seenByA)
                .extracting(StoreEvent::type)
                .contains(EventType.SETTLED, EventType.FINISHED, EventType.PART);
    }

    @Test
    void aBatchOfThousandsOfPartsAndItemsIsOneCall() {
        String ns = RedisTestSupport.freshNamespace();
        RedisJobStore s = store(REDIS, ns);
        int n = 100_000;
        s.create(job("big", "n", n));
        assertThat(s.parts("big", PartStatus.PENDING, 99_990, 100)).hasSize(9);
        assertThat(s.partPayload("big", 99_999)).contains("{\"jobId\":\"big\",\"partId\":99999}");

        int batch = 20_000;
        int lasts = 0;
        long changed = 0;
        for (int from = 0; from < n; from += batch) {
            List<PartUpdate> parts = new ArrayList<>(batch + 10);
            for (int p = from; p < from + batch; p++) {
                parts.add(PartUpdate.success(p));
            }
            parts.add(PartUpdate.success(from)); // a duplicate inside the batch
            PartsOutcome r = s.await(s.recordParts("big", parts));
            changed += r.changed();
            lasts += r.last() ? 1 : 0;
            assertThat(r.remaining()).isEqualTo(n - from - batch);
        }
        assertThat(changed).isEqualTo(n);
        assertThat(lasts).isOne();
        JobRecord r = s.find("big").orElseThrow();
        assertThat(r.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(r.succeeded()).isEqualTo(n);
        assertThat(s.parts("big", PartStatus.PENDING, -1, 10)).isEmpty();

        s.create(job("items", "n", 0));
        List<ItemUpdate> items = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            items.add(new ItemUpdate("item-" + i, i % 10 == 0 ? Outcome.FAILURE : Outcome.SUCCESS, null));
        }
        RecordedProgress after = s.await(s.record("items", new ProgressUpdate(5, 0, items, 10_005, null)));
        assertThat(after.succeeded()).isEqualTo(9_005);
        assertThat(after.failed()).isEqualTo(1_000);
        assertThat(s.items("items", Outcome.FAILURE, null, 2000).items()).hasSize(1000);
        io.tally.Page<io.tally.store.StoredItem> bigPage = s.items("items", null, null, 9_000);
        assertThat(bigPage.items()).hasSize(9_000);
        assertThat(bigPage.next()).isPresent();
        assertThat(s.items("items", null, bigPage.next().get(), 9_000).items()).hasSize(1_000);
        assertThat(s.delete("big")).isTrue();
    }

    @Test
    void partsAreListedAcrossBitfieldSlicesWithKeysetPaging() {
        // The parts bitfield is read 65,536 parts per round trip; a listing must find parts past the first slice, page
        // by 'after' within and across slices, and read bits the string does not hold yet as pending.
        String namespace = "tally-it-" + UUID.randomUUID();
        JobStore s = store(REDIS, namespace);
        int parts = 70_000;
        s.create(new NewJob(
                "big",
                "big",
                null,
                null,
                "{}",
                parts,
                true,
                Collections.nCopies(parts, "{}"),
                5,
                null,
                null,
                null,
                null));
        List<PartUpdate> done = new ArrayList<>();
        for (int p = 0; p < 66_000; p++) {
            if (p != 5 && p != 65_540) {
                done.add(PartUpdate.success(p));
            }
            if (done.size() == 1_000) {
                s.await(s.recordParts("big", done));
                done.clear();
            }
        }
        s.await(s.recordParts("big", done));
        s.await(s.recordParts("big", List.of(new PartUpdate(65_999, Outcome.FAILURE, "bad tile", false))));
        s.await(s.recordParts("big", List.of(new PartUpdate(65_541, Outcome.FAILURE, null, false))));
        s.await(s.recordParts("big", List.of(PartUpdate.success(65_541)))); // failed, then succeeded after all

        assertThat(s.parts("big", PartStatus.PENDING, -1, 3)).containsExactly(5, 65_540, 66_000);
        assertThat(s.parts("big", PartStatus.PENDING, 5, 1)).containsExactly(65_540);
        assertThat(s.parts("big", PartStatus.PENDING, 69_990, 100))
                .containsExactly(69_991, 69_992, 69_993, 69_994, 69_995, 69_996, 69_997, 69_998, 69_999);
        assertThat(s.parts("big", PartStatus.FAILED, -1, 10)).containsExactly(65_999);
        assertThat(s.parts("big", PartStatus.SUCCEEDED, 65_530, 4)).containsExactly(65_531, 65_532, 65_533, 65_534);
        assertThat(s.parts("big", PartStatus.SUCCEEDED, 65_538, 3)).containsExactly(65_539, 65_541, 65_542);
        assertThat(s.parts("big", PartStatus.SUCCEEDED, 65_997, 10)).containsExactly(65_998);
        assertThat(s.parts("big", PartStatus.PENDING, Integer.MAX_VALUE, 10)).isEmpty();
        assertThat(s.parts("big", PartStatus.PENDING, -1, 0)).isEmpty();
        assertThat(s.find("big").orElseThrow().succeeded()).isEqualTo(65_997);
        assertThatThrownBy(() -> s.parts("nope", PartStatus.PENDING, -1, 10))
                .isInstanceOf(io.tally.JobNotFoundException.class);
        // The reason of a failed part is kept beside the bits; the one that succeeded after all has none.
        try (RedisClient client = RedisClient.create(REDIS);
                StatefulRedisConnection<String, String> c = client.connect()) {
            assertThat(c.sync().hgetall("{" + namespace + "}:part-errors:big")).isEqualTo(Map.of("65999", "bad tile"));
        }
    }

    /**
     * A subscriber in another language reads the channel itself (README, "Events"): every message says which job it is
     * about, what happened and the job as stored after the write, whichever path of the write function wrote it (a
     * keyed record, a record of several items, a run of part completions, the settle).
     */
    @Test
    void eventMessagesOnTheChannelNameTheirJobWhicheverPathWrote() throws Exception {
        String ns = RedisTestSupport.freshNamespace();
        RedisJobStore s = store(REDIS, ns);
        Tally tally = Tally.builder().store(s).clock(clock).build();
        List<JsonNode> messages = new CopyOnWriteArrayList<>();
        try (RedisClient client = RedisClient.create(REDIS);
                StatefulRedisPubSubConnection<String, String> sub = client.connectPubSub()) {
            sub.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    messages.add(Json.tree(message));
                }
            });
            sub.sync().subscribe("{" + ns + "}:events");

            Job items = tally.create(
                    JobSpec.builder().name("items").total(4).start(true).build());
            items.recordSuccess("a"); // one item
            clock.advance(Duration.ofMillis(100)); // (progress alone is published at most once per 100 ms)
            items.record(new ProgressUpdate(
                    0,
                    0,
                    List.of(new ItemUpdate("b", Outcome.SUCCESS, null), new ItemUpdate("c", Outcome.SUCCESS, null)),
                    0,
                    null)); // several items
            Job parts = tally.create(JobSpec.builder()
                    .name("parts")
                    .parts(List.of(Map.of("p", 0), Map.of("p", 1)))
                    .start(true)
                    .build());
            tally.completePart(parts.id(), 0); // a part that does not settle
            tally.completePart(parts.id(), 1); // the settle

            await().until(() -> messages.stream()
                    .anyMatch(m -> m.get("id").asText().equals(parts.id())
                            && m.get("job").get("state").asText().equals("SUCCEEDED")));
            assertThat(messages)
                    .allSatisfy(m -> assertThat(m.get("job").get("id").asText())
                            .isEqualTo(m.get("id").asText()));
            assertThat(messages)
                    .filteredOn(m -> m.get("id").asText().equals(items.id()))
                    .extracting(RedisStoreBehaviourIT::firstEventAndSucceeded)
                    .containsSubsequence("CREATED 0", "PROGRESS 1", "PROGRESS 3");
            assertThat(messages)
                    .filteredOn(m -> m.get("id").asText().equals(parts.id()))
                    .extracting(RedisStoreBehaviourIT::firstEventAndSucceeded)
                    .containsSubsequence("CREATED 0", "PART 0 1", "PART 1 2");
        }
    }

    /**
     * Progress alone is published at most once per 100 ms of the store's clock (here stopped): a burst of 50 records
     * sends one message, the other events go at once, and a subscriber of the store still hears the burst's last
     * progress, read once the messages stopped.
     */
    @Test
    void progressAloneIsPublishedOncePerIntervalAndTheLastOfABurstIsStillHeard() throws Exception {
        String ns = RedisTestSupport.freshNamespace();
        RedisJobStore s = store(REDIS, ns);
        List<StoreEvent> heard = new CopyOnWriteArrayList<>();
        List<JsonNode> messages = new CopyOnWriteArrayList<>();
        try (RedisClient client = RedisClient.create(REDIS);
                StatefulRedisPubSubConnection<String, String> sub = client.connectPubSub();
                AutoCloseable subscription = s.subscribe(heard::add)) {
            sub.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    messages.add(Json.tree(message));
                }
            });
            sub.sync().subscribe("{" + ns + "}:events");
            s.create(job("burst", "n", 0));
            s.transition("burst", io.tally.store.Transition.start());
            for (int i = 0; i < 50; i++) {
                s.await(s.record("burst", ProgressUpdate.counts(1, 0)));
            }

            await().atMost(Duration.ofSeconds(10))
                    .until(() -> heard.stream()
                            .anyMatch(e ->
                                    e.type() == EventType.PROGRESS && e.record().succeeded() == 50));
            assertThat(messages)
                    .extracting(RedisStoreBehaviourIT::firstEventAndSucceeded)
                    .filteredOn(m -> m.startsWith("PROGRESS"))
                    .containsExactly("PROGRESS 1");

            clock.advance(Duration.ofMillis(100));
            s.await(s.record("burst", ProgressUpdate.counts(1, 0)));
            s.transition("burst", io.tally.store.Transition.move(JobState.SUCCEEDED, null, null));
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> messages.stream()
                            .anyMatch(m -> m.get("job").get("state").asText().equals("SUCCEEDED")));
            assertThat(messages)
                    .extracting(RedisStoreBehaviourIT::firstEventAndSucceeded)
                    .containsSubsequence("PROGRESS 1", "PROGRESS 51", "FINISHED 51");
            assertThat(heard.get(heard.size() - 1).type()).isEqualTo(EventType.FINISHED);
        }
    }

    /** @return a message's first event (type, and part if any) and the job's succeeded count, e.g. "PART 0 1" */
    private static String firstEventAndSucceeded(JsonNode message) {
        JsonNode event = message.get("events").get(0);
        String part = event.has("part") ? " " + event.get("part").asInt() : "";
        return event.get("type").asText() + part + " "
                + message.get("job").get("succeeded").asText();
    }

    /**
     * Kills the store's connections (CLIENT KILL ID of each) several times while 16 threads complete and
     * re-complete parts; calls that fail with StoreUnavailableException are retried (recording a part is idempotent).
     * The counts must be exact and exactly one call must have seen {@code last}.
     */
    @Test
    void connectionKilledDuringConcurrentPartCompletionKeepsCountsExactAndLastOnce() throws Exception {
        String ns = RedisTestSupport.freshNamespace();
        RedisJobStore s = store(REDIS, ns);
        Tally tally = Tally.builder().store(s).clock(clock).build();
        int n = 20_000;
        Job job = tally.create(JobSpec.builder()
                .name("kill")
                .parts(IntStream.range(0, n).mapToObj(i -> Map.of("i", i)).toList())
                .build());
        long seed = System.nanoTime();
        System.out.println("kill test seed " + seed);
        List<Integer> deliveries = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            deliveries.add(p);
            if (p % 3 == 0) {
                deliveries.add(p); // redelivered
            }
        }
        Collections.shuffle(deliveries, new Random(seed));
        int threads = 16;
        AtomicInteger done = new AtomicInteger();
        AtomicInteger lasts = new AtomicInteger();
        AtomicInteger retries = new AtomicInteger();
        AtomicInteger killed = new AtomicInteger();
        // Twenty kills spread over the run, and a few among the very last calls, around the settle.
        int total = deliveries.size();
        int[] killAt = IntStream.concat(
                        IntStream.rangeClosed(1, 20).map(k -> k * total / 21),
                        IntStream.of(total - 40, total - 20, total - 8, total - 2))
                .toArray();
        RedisClient admin = RedisClient.create(REDIS);
        try (StatefulRedisConnection<String, String> adminConn = admin.connect()) {
            List<Callable<Void>> tasks = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int worker = t;
                tasks.add(() -> {
                    for (int i = worker; i < deliveries.size(); i += threads) {
                        int part = deliveries.get(i);
                        PartCompletion c = ConcurrencyContract.retrying(() -> {
                            try {
                                return tally.completePart(job.id(), part);
                            } catch (StoreUnavailableException e) {
                                retries.incrementAndGet();
                                throw e;
                            }
                        });
                        if (c.last()) {
                            lasts.incrementAndGet();
                        }
                        int d = done.incrementAndGet();
                        for (int k : killAt) {
                            if (d == k) {
                                synchronized (adminConn) {
                                    killed.addAndGet((int) clientKill(adminConn, ns));
                                }
                            }
                        }
                    }
                    return null;
                });
            }
            runTogether(threads, tasks);
        } finally {
            admin.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        }
        System.out.println("kill test: " + killed + " connections killed, " + retries + " calls retried");
        // A kill right after another may find the connection still reconnecting (nothing to kill).
        assertThat(killed.get()).isGreaterThanOrEqualTo(killAt.length / 2);
        assertThat(lasts).hasValue(1);
        JobSnapshot snap = job.snapshot();
        assertThat(snap.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(snap.succeeded()).isEqualTo(n);
        assertThat(snap.failed()).isZero();
        assertThat(tally.pendingParts(job.id())).isEmpty();
        // The store recovered: it works after the kills.
        assertThat(s.find(job.id())).isPresent();
    }

    /**
     * Increments are not idempotent, so a call in flight when the connection dies is not re-sent: it fails with
     * StoreUnavailableException and may or may not have been applied. The stored count is therefore between the
     * calls that succeeded and all calls, and never above.
     */
    @Test
    void incrementsInFlightWhenTheConnectionDiesAreNeverAppliedTwice() throws Exception {
        String ns = RedisTestSupport.freshNamespace();
        RedisJobStore s = store(REDIS, ns);
        s.create(job("inc", "n", 0));
        int threads = 8;
        int perThread = 2000;
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicInteger calls = new AtomicInteger();
        RedisClient admin = RedisClient.create(REDIS);
        try (StatefulRedisConnection<String, String> adminConn = admin.connect()) {
            List<Callable<Void>> tasks = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                tasks.add(() -> {
                    for (int i = 0; i < perThread; i++) {
                        try {
                            s.await(s.record("inc", ProgressUpdate.counts(1, 0)));
                            ok.incrementAndGet();
                        } catch (StoreUnavailableException e) {
                            failed.incrementAndGet();
                        }
                        if (calls.incrementAndGet() % 1000 == 0) {
                            synchronized (adminConn) {
                                clientKill(adminConn, ns);
                            }
                        }
                    }
                    return null;
                });
            }
            runTogether(threads, tasks);
        } finally {
            admin.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        }
        long stored = await().ignoreExceptions()
                .until(() -> s.find("inc").orElseThrow().succeeded(), v -> true);
        System.out.println("increments: " + ok + " ok, " + failed + " failed, " + stored + " stored");
        assertThat(ok.get() + failed.get()).isEqualTo(threads * perThread);
        assertThat(stored).isBetween((long) ok.get(), (long) ok.get() + failed.get());
    }

    /**
     * Async records in flight when the connection dies: they fail with StoreUnavailableException, are not re-sent (an
     * increment is not idempotent) and are never applied twice; keyed ones retried afterwards count exactly once.
     */
    @Test
    void asyncRecordsInFlightWhenTheConnectionDiesAreNeverAppliedTwice() throws Exception {
        String ns = RedisTestSupport.freshNamespace();
        RedisJobStore s = store(REDIS, ns);
        Tally tally = Tally.builder().store(s).clock(clock).build();
        Job keyed = tally.create(JobSpec.builder().name("keyed").start(true).build());
        Job counted = tally.create(JobSpec.builder().name("counted").start(true).build());
        int n = 16_000;
        java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(64);
        List<Integer> keyedFailed = new CopyOnWriteArrayList<>();
        AtomicInteger countedOk = new AtomicInteger();
        AtomicInteger countedFailed = new AtomicInteger();
        AtomicInteger otherFailures = new AtomicInteger();
        int killed = 0;
        RedisClient admin = RedisClient.create(REDIS);
        try (StatefulRedisConnection<String, String> adminConn = admin.connect()) {
            for (int i = 0; i < n; i++) {
                int item = i;
                window.acquire(2);
                keyed.recordSuccessAsync("item-" + i).whenComplete((p, e) -> {
                    if (e == null) {
                        // counted below
                    } else if (e.getCause() instanceof StoreUnavailableException) {
                        keyedFailed.add(item);
                    } else {
                        otherFailures.incrementAndGet();
                    }
                    window.release();
                });
                counted.recordSuccessAsync().whenComplete((p, e) -> {
                    if (e == null) {
                        countedOk.incrementAndGet();
                    } else if (e.getCause() instanceof StoreUnavailableException) {
                        countedFailed.incrementAndGet();
                    } else {
                        otherFailures.incrementAndGet();
                    }
                    window.release();
                });
                if (i % 500 == 250) {
                    killed += (int) clientKill(adminConn, ns);
                }
            }
            assertThat(window.tryAcquire(64, 60, java.util.concurrent.TimeUnit.SECONDS))
                    .as("every call answered")
                    .isTrue();
        } finally {
            admin.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        }
        System.out.println("async kill test: " + killed + " connections killed, " + keyedFailed.size() + " keyed and "
                + countedFailed + " counted calls failed");
        assertThat(killed).isGreaterThanOrEqualTo(16);
        assertThat(otherFailures).hasValue(0);
        assertThat(countedOk.get() + countedFailed.get()).isEqualTo(n);
        long stored = await().ignoreExceptions().until(() -> counted.progress().succeeded(), v -> true);
        assertThat(stored).isBetween((long) countedOk.get(), (long) n);
        for (int item : keyedFailed) {
            ConcurrencyContract.retrying(() -> keyed.recordSuccess("item-" + item));
        }
        assertThat(keyed.progress().succeeded()).isEqualTo(n);
        assertThat(keyed.items().get(Outcome.SUCCESS)).hasSize(n);
    }

    /**
     * Kills the connections of the store of {@code namespace} (named {@code tally:NAMESPACE}), by id: no other
     * client of the server (another test JVM, a developer's redis-cli) loses its connection.
     *
     * @return connections killed
     */
    private static long clientKill(StatefulRedisConnection<String, String> adminConn, String namespace) {
        long killed = 0;
        for (String line : adminConn.sync().clientList().split("\n")) {
            if (line.contains(" name=tally:" + namespace + " ")) {
                String id = line.substring(line.indexOf("id=") + 3, line.indexOf(' '));
                killed += adminConn.sync().clientKill(io.lettuce.core.KillArgs.Builder.id(Long.parseLong(id)));
            }
        }
        return killed;
    }

    private static void runTogether(int threads, List<Callable<Void>> tasks) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<Void>> futures = new ArrayList<>();
            for (Callable<Void> t : tasks) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return t.call();
                }));
            }
            go.countDown();
            for (Future<Void> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aStalledServerFailsOperationsWithinTheTimeoutAndTheStoreRecovers() throws Exception {
        TestServices.redisUrl(); // skips (or fails) when the test Redis does not answer
        RedisJobStore s = storeWithTimeout("300ms");
        String ns = namespaces.get(namespaces.size() - 1)[1];
        s.create(job("j", "n", 0));
        try {
            client("PAUSE", "1500", "WRITE");
            assertThatThrownBy(() -> s.transition("j", Transition.heartbeat()))
                    .isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("namespace=" + ns);
        } finally {
            client("UNPAUSE");
        }
        await().atMost(Duration.ofSeconds(10))
                .ignoreExceptions()
                .until(() -> s.transition("j", Transition.heartbeat()).changed());
        assertThat(s.find("j")).isPresent();
    }

    @Test
    void aCountSentAndNotAnsweredIsAnOutcomeUnknownAndMayWellHaveBeenApplied() throws Exception {
        RedisJobStore s = storeWithTimeout("300ms");
        s.create(job("j", "n", 0));
        try {
            client("PAUSE", "1500", "WRITE"); // Redis holds the write: it is sent, its answer does not come in time
            assertThatThrownBy(() -> s.await(s.record("j", ProgressUpdate.counts(1, 0))))
                    .isInstanceOf(io.tally.OutcomeUnknownException.class)
                    .hasMessageContaining("may or may not have been applied");
        } finally {
            client("UNPAUSE");
        }
        // Here it was applied once Redis went on: which is why the caller is told "unknown", not "failed".
        await().atMost(Duration.ofSeconds(10))
                .until(() -> s.find("j").orElseThrow().succeeded() == 1);
    }

    @Test
    void aBlockingCallInACallbackOfAnAsyncCallIsRefusedAtOnceInsteadOfWaitingForItself() throws Exception {
        // The callbacks of an async call run on the connection's I/O thread: a blocking call there would wait for a
        // reply only that thread can deliver, until the store's timeout (here a minute). It is refused at once.
        RedisJobStore s = storeWithTimeout("60s");
        Tally tally = Tally.builder().store(s).clock(clock).build();
        Job job = tally.create(JobSpec.builder().name("io").start(true).build());
        // (the server holds the reply back until the callback is chained: else it could run on this thread)
        client("PAUSE", "300", "WRITE");
        java.util.concurrent.CompletableFuture<Long> blocking =
                job.recordSuccessAsync("a").thenApply(p -> job.progress().succeeded());
        assertThatThrownBy(() -> blocking.get(10, java.util.concurrent.TimeUnit.SECONDS))
                .hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("I/O thread");
        // Chained to another thread, the same call works; and the I/O thread's refusal changed nothing.
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            assertThat(job.recordSuccessAsync("b")
                            .thenApplyAsync(p -> job.progress().succeeded(), pool)
                            .get(10, java.util.concurrent.TimeUnit.SECONDS))
                    .isEqualTo(2);
        } finally {
            pool.shutdown();
        }
        assertThat(job.progress().succeeded()).isEqualTo(2);
    }

    /** @return a store in a fresh namespace (removed after the test) whose calls give up after {@code timeout} */
    private RedisJobStore storeWithTimeout(String timeout) {
        String ns = RedisTestSupport.freshNamespace();
        RedisJobStore s = (RedisJobStore) new RedisJobStoreProvider()
                .open(TestServices.withOption(REDIS, "namespace=" + ns + "&timeout=" + timeout), clock);
        namespaces.add(new String[] {REDIS, ns});
        open.add(s);
        return s;
    }

    /** Sends {@code CLIENT args...} to the test server on a connection of its own. */
    private static void client(String... args) {
        RedisClient admin = RedisClient.create(REDIS);
        try (StatefulRedisConnection<String, String> c = admin.connect()) {
            io.lettuce.core.protocol.CommandArgs<String, String> a =
                    new io.lettuce.core.protocol.CommandArgs<>(io.lettuce.core.codec.StringCodec.UTF8);
            for (String arg : args) {
                a.add(arg);
            }
            c.sync()
                    .dispatch(
                            io.lettuce.core.protocol.CommandType.CLIENT,
                            new io.lettuce.core.output.StatusOutput<>(io.lettuce.core.codec.StringCodec.UTF8),
                            a);
        } finally {
            admin.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        }
    }

    @Test
    void anUnreachableServerFailsFastWithTheUrlMasked() {
        String url = "redis://user:s3cret@127.0.0.1:1/0?timeout=500ms";
        assertThatThrownBy(() -> new RedisJobStoreProvider().open(url, clock))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("redis://user:***@127.0.0.1:1/0")
                .hasMessageNotContaining("s3cret");
    }

    @Test
    void theProviderIsFoundByScheme() {
        TestServices.redisUrl(); // skips (or fails) when the test Redis does not answer
        List<String> schemes = new ArrayList<>();
        for (io.tally.store.JobStoreProvider p : ServiceLoader.load(io.tally.store.JobStoreProvider.class)) {
            if (p.supports("redis://localhost")) {
                schemes.addAll(p.schemes());
            }
        }
        assertThat(schemes).contains("redis", "rediss", "redis-sentinel");
        String ns = RedisTestSupport.freshNamespace();
        namespaces.add(new String[] {REDIS, ns});
        try (Tally t = Tally.builder()
                .url(TestServices.withOption(REDIS, "namespace=" + ns))
                .clock(clock)
                .build()) {
            Job j = t.create(
                    JobSpec.builder().name("via-url").total(3).start(true).build());
            j.snapshot();
            assertThat(((RedisJobStore) t.storeSpi()).namespace()).isEqualTo(ns);
        }
    }

    @Test
    void theLastSubscriptionClosedLeavesTheChannelAndANewOneHearsAgain() throws Exception {
        // A subscribed channel makes every write build events and publish the whole job, so the store must leave the
        // channel when nobody listens any more.
        String ns = RedisTestSupport.freshNamespace();
        RedisJobStore s = store(REDIS, ns);
        s.create(job("sub", "n", 0));
        String channel = "{" + ns + "}:events";
        try (RedisClient client = RedisClient.create(REDIS);
                StatefulRedisConnection<String, String> c = client.connect()) {
            List<StoreEvent> heard = new CopyOnWriteArrayList<>();
            AutoCloseable first = s.subscribe(heard::add);
            AutoCloseable second = s.subscribe(e -> {});
            assertThat(c.sync().pubsubNumsub(channel)).containsEntry(channel, 1L);
            first.close();
            assertThat(c.sync().pubsubNumsub(channel)).as("one listener left").containsEntry(channel, 1L);
            second.close();
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(
                            () -> assertThat(c.sync().pubsubNumsub(channel)).containsEntry(channel, 0L));
            s.await(s.record("sub", ProgressUpdate.counts(1, 0)));
            assertThat(heard).isEmpty();

            AutoCloseable again = s.subscribe(heard::add);
            s.await(s.record("sub", ProgressUpdate.counts(1, 0)));
            await().atMost(Duration.ofSeconds(10)).until(() -> !heard.isEmpty());
            assertThat(heard.get(0).record().succeeded()).isEqualTo(2);
            again.close();
        }
    }

    @Test
    void aLibraryFlushedFromTheServerIsLoadedAgain() {
        // A restarted or flushed server answers FCALL with "Function not found"; every path (a read, the group
        // commit's write, a binary reply) must load the library and run the call once, as if nothing happened.
        JobStore s = store(REDIS, RedisTestSupport.freshNamespace());
        s.create(job("flushed", "n", 3));
        try (RedisClient client = RedisClient.create(REDIS);
                StatefulRedisConnection<String, String> c = client.connect()) {
            c.sync().functionFlush(io.lettuce.core.FlushMode.SYNC);
            assertThat(s.await(s.recordParts("flushed", List.of(PartUpdate.success(1))))
                            .changed())
                    .isEqualTo(1);
            c.sync().functionFlush(io.lettuce.core.FlushMode.SYNC);
            assertThat(s.find("flushed").orElseThrow().succeeded()).isEqualTo(1);
            c.sync().functionFlush(io.lettuce.core.FlushMode.SYNC);
            assertThat(s.parts("flushed", PartStatus.PENDING, -1, 10)).containsExactly(0, 2);
        }
    }

    @Test
    void oneCallersWritesApplyInOrderWhileTheLibraryIsLoadedAgain() throws Exception {
        // Every batch that reaches a server without the library fails. Each sent again on its own once loaded, a
        // batch sent meanwhile could pass them: a caller's first call applied after its twentieth, about one round in
        // five. A fresh store each round: before its first reply has told the batcher the connection's thread, the
        // callers hand their batches over themselves, and the load must not pass those either.
        String ns = RedisTestSupport.freshNamespace();
        store(REDIS, ns).close(); // (the namespace is cleaned up after the test)
        try (RedisClient client = RedisClient.create(REDIS);
                StatefulRedisConnection<String, String> c = client.connect()) {
            for (int round = 0; round < 50; round++) {
                try (RedisJobStore s = RedisTestSupport.open(REDIS, ns, clock)) {
                    String id = "order-" + round;
                    s.create(job(id, "n", 0));
                    s.await(s.record(id, ProgressUpdate.item(new ItemUpdate("k0", Outcome.SUCCESS, null))));
                    c.sync().functionFlush(io.lettuce.core.FlushMode.SYNC);
                    List<java.util.concurrent.CompletableFuture<RecordedProgress>> calls = new ArrayList<>();
                    for (int i = 1; i <= 20; i++) {
                        calls.add(s.record(id, ProgressUpdate.item(new ItemUpdate("k" + i, Outcome.SUCCESS, null))));
                    }
                    for (int i = 0; i < calls.size(); i++) {
                        assertThat(s.await(calls.get(i)).succeeded())
                                .as("round %d, call %d", round, i + 1)
                                .isEqualTo(i + 2);
                    }
                }
            }
        }
    }

    @Test
    void aStoreOnTheApplicationsOwnClient() {
        TestServices.redisUrl(); // skips (or fails) when the test Redis does not answer
        RedisClient client = RedisClient.create(REDIS);
        String ns = RedisTestSupport.freshNamespace();
        namespaces.add(new String[] {REDIS, ns});
        try (JobStore s = RedisJobStore.builder()
                .client(client)
                .namespace(ns)
                .clock(clock)
                .build()) {
            s.create(job("x", "n", 1));
            assertThat(s.await(s.recordParts("x", List.of(PartUpdate.success(0))))
                            .last())
                    .isTrue();
        }
        // The application's client is still usable: the store never shuts it down.
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            assertThat(c.sync().ping()).isEqualTo("PONG");
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        }
    }
}
