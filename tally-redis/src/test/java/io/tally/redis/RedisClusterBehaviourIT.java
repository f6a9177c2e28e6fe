package io.tally.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.tally.EventType;
import io.tally.InvalidInputException;
import io.tally.Job;
import io.tally.JobQuery;
import io.tally.JobSnapshot;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.Page;
import io.tally.PartCompletion;
import io.tally.StoreUnavailableException;
import io.tally.Tally;
import io.tally.store.StoreEvent;
import io.tally.tck.ConcurrencyContract;
import io.tally.testing.MutableClock;
import io.tally.testing.TestServices;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the kit cannot say about the Cluster layout: jobs spread over the masters, the fixed number of buckets, events
 * heard from another store, and a master failing over in the middle of concurrent part completion, listings and sweeps
 * (the test Cluster of {@code scripts/services.sh}: three masters, three replicas).
 */
class RedisClusterBehaviourIT {
    private final MutableClock clock = MutableClock.startingNow();
    private final List<String> namespaces = new ArrayList<>();
    private final List<AutoCloseable> open = new ArrayList<>();

    private RedisJobStore store(String namespace, String... options) {
        RedisJobStore s = RedisTestSupport.openCluster(namespace, clock, options);
        if (!namespaces.contains(namespace)) {
            namespaces.add(namespace);
        }
        open.add(s);
        return s;
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        for (String ns : namespaces) {
            RedisTestSupport.cleanUpCluster(ns);
        }
    }

    @Test
    void tenThousandJobsLandOnEveryMasterWithinFifteenPercentOfAnEvenShare() throws Exception {
        String ns = RedisTestSupport.freshNamespace();
        Tally tally = Tally.builder().store(store(ns)).clock(clock).build();
        int jobs = 10_000;
        int threads = 8;
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int worker = t;
            tasks.add(() -> {
                for (int i = worker; i < jobs; i += threads) {
                    tally.create(JobSpec.builder().name("spread").total(1).build());
                }
                return null;
            });
        }
        ConcurrencyContract.runTogether(threads, tasks);

        Map<String, Long> perMaster = jobKeysPerMaster(ns);
        System.out.println("job hashes per master: " + perMaster);
        assertThat(perMaster).hasSize(3);
        assertThat(perMaster.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(jobs);
        for (long n : perMaster.values()) {
            assertThat((double) n).isBetween(jobs / 3.0 * 0.85, jobs / 3.0 * 1.15);
        }
        assertThat(tally.stats().get(JobState.PENDING)).isEqualTo(jobs);
    }

    /**
     * Every call goes straight to the master of its bucket: no node answers MOVED (a call routed by anything but its
     * first key would reach a random node and be redirected, a second round trip each).
     */
    @Test
    void callsGoStraightToTheMasterOfTheirBucket() throws Exception {
        String ns = RedisTestSupport.freshNamespace();
        RedisJobStore s = store(ns);
        Tally tally = Tally.builder().store(s).clock(clock).build();
        List<Job> jobs = new ArrayList<>();
        for (int j = 0; j < 32; j++) {
            jobs.add(tally.create(
                    JobSpec.builder().name("route").parts(payloads(50)).build()));
        }
        long before = movedReplies();
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int worker = t;
            tasks.add(() -> {
                for (int i = worker; i < 32 * 50; i += 8) {
                    tally.completePart(jobs.get(i % 32).id(), i / 32);
                    jobs.get(i % 32).progress();
                }
                return null;
            });
        }
        ConcurrencyContract.runTogether(8, tasks);
        tally.query(JobQuery.builder().name("route").limit(100).build());
        assertThat(movedReplies() - before).isZero();
        assertThat(tally.stats().get(JobState.SUCCEEDED)).isEqualTo(32);
    }

    /** @return the MOVED replies every node of the test Cluster has sent so far */
    private static long movedReplies() {
        long n = 0;
        for (String node : TestServices.redisClusterNodes()) {
            String stats = ClusterAdmin.sync(node, r -> r.info("errorstats"));
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("errorstat_MOVED:count=(\\d+)")
                    .matcher(stats);
            if (m.find()) {
                n += Long.parseLong(m.group(1));
            }
        }
        return n;
    }

    @Test
    void theNumberOfBucketsIsFixedWhenTheNamespaceIsCreated() {
        String ns = RedisTestSupport.freshNamespace();
        RedisJobStore first = store(ns, "buckets=8");
        first.create(RedisClusterBehaviourIT.newJob("a"));
        assertThat(first.toString()).contains("buckets=8");
        // Another store without a count takes the stored one and finds the job in its bucket.
        RedisJobStore second = store(ns);
        assertThat(second.toString()).contains("buckets=8");
        assertThat(second.find("a")).isPresent();
        assertThatThrownBy(() -> store(ns, "buckets=16"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("created with 8 buckets");
        assertThatThrownBy(() -> store(RedisTestSupport.freshNamespace(), "buckets=0"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("buckets");
        assertThatThrownBy(() -> new RedisJobStoreProvider().open("redis-cluster://127.0.0.1:1/0?namespace=x", clock))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("no databases");
    }

    @Test
    void aStoreHearsTheWritesOfAnotherStoreOnEveryBucketsShardChannel() {
        String ns = RedisTestSupport.freshNamespace();
        RedisJobStore writer = store(ns);
        RedisJobStore listener = store(ns);
        List<StoreEvent> heard = new CopyOnWriteArrayList<>();
        Tally tally = Tally.builder().store(writer).clock(clock).build();
        try (AutoCloseable sub = listener.subscribe(heard::add)) {
            Set<Integer> buckets = new HashSet<>();
            List<String> ids = new ArrayList<>();
            for (int i = 0; buckets.size() < 3 * 4; i++) { // jobs in a dozen buckets, on every master
                String id = "ev-" + i;
                buckets.add(
                        Keys.cluster(ns, RedisJobStore.DEFAULT_CLUSTER_BUCKETS).bucketOf(id).index);
                ids.add(id);
            }
            for (String id : ids) {
                tally.create(JobSpec.builder().id(id).name("ev").start(true).build())
                        .finish();
            }
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(heard.stream()
                                    .filter(e -> e.type() == EventType.FINISHED)
                                    .map(e -> e.record().id()))
                            .containsExactlyInAnyOrderElementsOf(ids));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /**
     * A failover drops the subscribers of the shard channels whose slots the old master served; the store subscribes
     * again, and its listeners hear the writes to jobs on the new master.
     */
    @Test
    void listenersStillHearAJobsEventsAfterItsMasterFailedOver() throws Exception {
        String ns = RedisTestSupport.freshNamespace();
        RedisJobStore s = store(ns);
        Tally tally = Tally.builder().store(s).clock(clock).build();
        Keys keys = Keys.cluster(ns, RedisJobStore.DEFAULT_CLUSTER_BUCKETS);
        Keys.Bucket bucket = keys.bucketOf("probe");
        List<String> finished = new CopyOnWriteArrayList<>();
        try (AutoCloseable sub = s.subscribe(e -> {
            if (e.type() == EventType.FINISHED) {
                finished.add(e.record().id());
            }
        })) {
            AtomicInteger n = new AtomicInteger();
            java.util.function.Supplier<String> finishOne = () -> {
                String id;
                do {
                    id = "fo-" + n.incrementAndGet();
                } while (keys.bucketOf(id) != bucket); // a job of the bucket whose master fails over
                tally.create(JobSpec.builder().id(id).name("fo").start(true).build())
                        .finish();
                return id;
            };
            String before = finishOne.get();
            await().atMost(Duration.ofSeconds(10)).until(() -> finished.contains(before));

            ClusterAdmin.failOverMasterOfSlot(bucket.slot());
            // Subscribed again within moments: a job finished from then on is heard.
            await().atMost(Duration.ofSeconds(15)).until(() -> finished.contains(finishOne.get()));
            List<String> after = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                after.add(finishOne.get());
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> finished.containsAll(after));
        }
    }

    /**
     * 16 callers complete 20,000 parts of 20 jobs, each part delivered two or three times, while one master (the one
     * holding the first job) fails over to its replica ({@code CLUSTER FAILOVER}). A call that fails is delivered
     * again, as a broker would. Every acknowledged completion must be stored, each job must have exactly one {@code
     * last}, and no attempt may take longer than the store's timeout.
     */
    @Test
    void aMasterFailingOverDuringConcurrentPartCompletionLosesNothingAndSettlesEachJobOnce() throws Exception {
        String ns = RedisTestSupport.freshNamespace();
        RedisJobStore s = store(ns);
        Tally tally = Tally.builder().store(s).clock(clock).build();
        int jobs = 20;
        int partsPerJob = 1000;
        List<Job> created = new ArrayList<>();
        for (int j = 0; j < jobs; j++) {
            created.add(tally.create(JobSpec.builder()
                    .name("failover")
                    .parts(payloads(partsPerJob))
                    .build()));
        }
        long seed = System.nanoTime();
        System.out.println("failover test seed " + seed);
        Random random = new Random(seed);
        List<int[]> deliveries = new ArrayList<>();
        for (int j = 0; j < jobs; j++) {
            for (int p = 0; p < partsPerJob; p++) {
                int times = 2 + random.nextInt(2);
                for (int d = 0; d < times; d++) {
                    deliveries.add(new int[] {j, p});
                }
            }
        }
        Collections.shuffle(deliveries, random);
        int threads = 16;
        AtomicInteger done = new AtomicInteger();
        AtomicInteger failedAttempts = new AtomicInteger();
        AtomicLong slowestNanos = new AtomicLong();
        AtomicInteger[] lasts =
                IntStream.range(0, jobs).mapToObj(j -> new AtomicInteger()).toArray(AtomicInteger[]::new);
        int failoverAt = deliveries.size() / 3;
        CompletableFuture<String> failover = new CompletableFuture<>();
        String slotOfFirst = Integer.toString(Keys.cluster(ns, RedisJobStore.DEFAULT_CLUSTER_BUCKETS)
                .bucketOf(created.get(0).id())
                .slot());
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int worker = t;
            tasks.add(() -> {
                for (int i = worker; i < deliveries.size(); i += threads) {
                    int[] d = deliveries.get(i);
                    PartCompletion c = ConcurrencyContract.retrying(() -> {
                        long start = System.nanoTime();
                        try {
                            return tally.completePart(created.get(d[0]).id(), d[1]);
                        } catch (StoreUnavailableException e) {
                            failedAttempts.incrementAndGet();
                            throw e;
                        } finally {
                            slowestNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
                        }
                    });
                    if (c.last()) {
                        lasts[d[0]].incrementAndGet();
                    }
                    if (done.incrementAndGet() == failoverAt) {
                        CompletableFuture.runAsync(() -> {
                            try {
                                failover.complete(ClusterAdmin.failOverMasterOfSlot(Integer.parseInt(slotOfFirst)));
                            } catch (RuntimeException e) {
                                failover.completeExceptionally(e);
                            }
                        });
                    }
                }
                return null;
            });
        }
        ConcurrencyContract.runTogether(threads, tasks);
        String promoted = failover.get();
        System.out.println("failover test: " + promoted + " promoted, " + failedAttempts + " attempts failed, slowest "
                + Duration.ofNanos(slowestNanos.get()));
        assertThat(Duration.ofNanos(slowestNanos.get())).isLessThanOrEqualTo(RedisJobStore.DEFAULT_TIMEOUT);
        for (int j = 0; j < jobs; j++) {
            assertThat(lasts[j]).as("lasts of job %d", j).hasValue(1);
            JobSnapshot snap = created.get(j).snapshot();
            assertThat(snap.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(snap.succeeded()).isEqualTo(partsPerJob);
            assertThat(tally.pendingParts(created.get(j).id())).isEmpty();
        }
    }

    /**
     * While a master fails over and four writers keep recording progress, listings page through 300 jobs again and
     * again and sweeps fail the jobs whose lease lapsed, a few more each pass (their leases end 1 s apart and each pass
     * moves the clock on 10 s): every listing returns every job exactly once, each stalled job is failed exactly once
     * in all, and no acknowledged record is lost.
     */
    @Test
    void listingsAndSweepsDuringAFailoverSeeEveryJobExactlyOnce() throws Exception {
        String ns = RedisTestSupport.freshNamespace();
        RedisJobStore s = store(ns);
        Tally tally = Tally.builder().store(s).clock(clock).build();
        int jobs = 300;
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < jobs; i++) {
            ids.add(tally.create(JobSpec.builder()
                            .name("lease")
                            .start(true)
                            .heartbeat(Duration.ofMinutes(1))
                            .build())
                    .id());
            clock.advance(Duration.ofSeconds(1));
        }
        List<Job> busy = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            busy.add(tally.create(JobSpec.builder().name("busy").start(true).build()));
        }
        AtomicLong acknowledged = new AtomicLong();
        AtomicLong unknown = new AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
        List<CompletableFuture<Void>> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int writer = w;
            writers.add(CompletableFuture.runAsync(() -> {
                for (int i = 0; writing.get(); i++) {
                    try {
                        busy.get((writer + 4 * i) % busy.size()).recordSuccess();
                        acknowledged.incrementAndGet();
                    } catch (StoreUnavailableException e) {
                        unknown.incrementAndGet(); // (an increment that got no answer may or may not be applied)
                    }
                }
            }));
        }
        clock.advance(Duration.ofSeconds(60 - jobs)); // the first leases end now
        CompletableFuture<String> failover = CompletableFuture.supplyAsync(
                () -> ClusterAdmin.failOverMasterOfSlot(Keys.cluster(ns, RedisJobStore.DEFAULT_CLUSTER_BUCKETS)
                        .bucketOf(ids.iterator().next())
                        .slot()));
        int passes = 0;
        int passesDuringFailover = 0;
        int stalled = 0;
        while (!failover.isDone() || stalled < jobs) {
            boolean during = !failover.isDone();
            List<String> listed = new ArrayList<>();
            Page<JobSnapshot> page =
                    tally.query(JobQuery.builder().name("lease").limit(37).build());
            while (true) {
                page.items().forEach(j -> listed.add(j.id()));
                if (page.next().isEmpty()) {
                    break;
                }
                page = tally.query(JobQuery.builder()
                        .name("lease")
                        .limit(37)
                        .cursor(page.next().get())
                        .build());
            }
            assertThat(listed).as("listing pass %d", passes).hasSize(jobs).containsExactlyInAnyOrderElementsOf(ids);
            stalled += tally.sweep().stalled();
            clock.advance(Duration.ofSeconds(10));
            passes++;
            passesDuringFailover += during && !failover.isDone() ? 1 : 0;
            assertThat(passes).as("passes").isLessThan(1000);
        }
        failover.get();
        writing.set(false);
        CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get();
        System.out.println("listing during failover: " + passes + " passes, " + passesDuringFailover + " during it; "
                + acknowledged + " records acknowledged, " + unknown + " unanswered");
        assertThat(passesDuringFailover).isPositive();
        assertThat(stalled).isEqualTo(jobs);
        assertThat(tally.sweep().stalled()).isZero();
        for (JobSnapshot j :
                tally.query(JobQuery.builder().name("lease").limit(500).build()).items()) {
            assertThat(j.state()).isEqualTo(JobState.FAILED);
        }
        long stored = busy.stream().mapToLong(j -> j.progress().succeeded()).sum();
        assertThat(stored).isBetween(acknowledged.get(), acknowledged.get() + unknown.get());
    }

    private static io.tally.store.NewJob newJob(String id) {
        return new io.tally.store.NewJob(id, "n", null, null, "{}", 0, false, List.of(), 0, null, null, null, null);
    }

    /** Talks to single nodes of the test Cluster. */
    static final class ClusterAdmin {
        private ClusterAdmin() {}

        /**
         * Promotes the replica of the master that holds {@code slot} ({@code CLUSTER FAILOVER} on the replica: the
         * master stops taking writes, the replica catches up and takes over) and waits until every node agrees.
         *
         * @return the promoted node's address
         */
        static String failOverMasterOfSlot(int slot) {
            String master = null;
            Map<String, String> addressOf = new HashMap<>();
            Map<String, String> replicaOf = new HashMap<>();
            String nodes = sync(TestServices.redisClusterNodes().get(0), r -> r.clusterNodes());
            for (String line : nodes.split("\n")) {
                String[] f = line.trim().split(" ");
                if (f.length < 8) {
                    continue;
                }
                String address = f[1].substring(0, f[1].indexOf('@'));
                addressOf.put(f[0], address);
                if (f[2].contains("slave")) {
                    replicaOf.put(f[3], address);
                }
                for (int i = 8; i < f.length; i++) {
                    String[] range = f[i].split("-");
                    int from = Integer.parseInt(range[0]);
                    int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
                    if (f[2].contains("master") && slot >= from && slot <= to) {
                        master = f[0];
                    }
                }
            }
            String replica = replicaOf.get(master);
            assertThat(replica).as("the replica of the master of slot %d", slot).isNotNull();
            String answer = sync(replica, r -> r.clusterFailover(false));
            assertThat(answer).isEqualTo("OK");
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> sync(replica, r -> r.info("replication")).contains("role:master"));
            for (String node : TestServices.redisClusterNodes()) {
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> sync(node, r -> r.clusterInfo()).contains("cluster_state:ok"));
            }
            return replica;
        }

        private static <T> T sync(String node, java.util.function.Function<RedisCommands<String, String>, T> f) {
            String[] hp = node.split(":");
            RedisClient c = RedisClient.create(RedisURI.create(hp[0], Integer.parseInt(hp[1])));
            try (StatefulRedisConnection<String, String> conn = c.connect()) {
                return f.apply(conn.sync());
            } finally {
                c.shutdown(Duration.ZERO, Duration.ofSeconds(1));
            }
        }
    }

    /** @return the number of job hashes of the namespace on each master, by address */
    private static Map<String, Long> jobKeysPerMaster(String ns) {
        Map<String, Long> out = new HashMap<>();
        for (String node : TestServices.redisClusterNodes()) {
            ClusterAdmin.sync(node, r -> {
                if (!r.info("replication").contains("role:master")) {
                    return null;
                }
                long n = 0;
                ScanCursor cursor = ScanCursor.INITIAL;
                do {
                    KeyScanCursor<String> page = r.scan(
                            cursor,
                            ScanArgs.Builder.matches("\\{" + ns + ":*}:job:*").limit(1000));
                    n += page.getKeys().size();
                    cursor = page;
                } while (!cursor.isFinished());
                out.put(node, n);
                return null;
            });
        }
        return out;
    }

    /** @return {@code n} part payloads, {@code {"i": part}} */
    private static List<Map<String, Integer>> payloads(int n) {
        return IntStream.range(0, n).mapToObj(i -> Map.of("i", i)).toList();
    }
}
