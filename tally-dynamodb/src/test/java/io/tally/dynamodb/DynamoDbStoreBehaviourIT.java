package io.tally.dynamodb;

import static io.tally.tck.ConcurrencyContract.deliveries;
import static io.tally.tck.ConcurrencyContract.retrying;
import static io.tally.tck.ConcurrencyContract.runTogether;
import static io.tally.tck.ConcurrencyContract.seed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.InvalidInputException;
import io.tally.Job;
import io.tally.JobSnapshot;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.PartCompletion;
import io.tally.Tally;
import io.tally.store.JobStore;
import io.tally.store.NewJob;
import io.tally.store.StoredItem;
import io.tally.testing.MutableClock;
import io.tally.testing.TestServices;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * What the kit does not cover on DynamoDB: the watchbot flow (one process, and two processes racing on one job's
 * conditions), the limits of the table design refused with a clear error and nothing written, keyed items once their
 * pending entries moved to rows, a job created again under a deleted one's id, and the ways to open the store.
 */
class DynamoDbStoreBehaviourIT {
    private static final String PREFIX = "behaviour_";
    private final MutableClock clock = MutableClock.startingNow();
    private final List<Tally> opened = new ArrayList<>();
    private String url;

    @BeforeEach
    void isolate() {
        url = Dynalite.isolatedUrl(PREFIX);
    }

    @AfterEach
    void close() {
        opened.forEach(Tally::close);
    }

    @AfterAll
    static void dropTable() {
        Dynalite.dropTable(PREFIX);
    }

    /** @return a Tally on the test's namespace; several of them share it as processes would */
    private Tally process() {
        Tally t = Tally.builder()
                .store(new DynamoDbJobStoreProvider().open(url, clock))
                .clock(clock)
                .build();
        opened.add(t);
        return t;
    }

    /** @return a process whose pending map moves to rows at 40 entries, so that the test sees many moves */
    private Tally smallPendingMap() {
        DynamoDbClient client = Dynalite.client();
        String namespace = url.substring(url.indexOf("namespace=") + "namespace=".length());
        Tally t = Tally.builder()
                .store(DynamoDbJobStore.builder()
                        .client(client)
                        .closeClient(true)
                        .tablePrefix(PREFIX)
                        .namespace(namespace)
                        .clock(clock)
                        .flushEntries(40)
                        .build())
                .clock(clock)
                .build();
        opened.add(t);
        return t;
    }

    private static Job partsJob(Tally tally, int parts) {
        return tally.create(JobSpec.builder()
                .name("watchbot")
                .parts(IntStream.range(0, parts)
                        .mapToObj(i -> Map.of("url", "https://example.com/" + i))
                        .toList())
                .build());
    }

    /**
     * Watchbot's flow: 2,000 parts completed by 16 threads, every part delivered two or three times in random order
     * (redeliveries): exactly one call sees {@code last}, every part counts once.
     */
    @Test
    void watchbotFlowSettlesExactlyOnce() throws Exception {
        watchbot(List.of(process()), 2000, 16);
    }

    /**
     * The same flow from two processes (two stores with their own clients) on one job: their steps race on the job
     * item's version condition, and still exactly one call sees {@code last}.
     */
    @Test
    void twoProcessesSettleOneJobExactlyOnce() throws Exception {
        watchbot(List.of(process(), process()), 2000, 16);
    }

    private void watchbot(List<Tally> processes, int parts, int threads) throws Exception {
        long seed = seed("dynamodb watchbot");
        Job job = partsJob(processes.get(0), parts);
        List<Integer> deliveries = deliveries(parts, new Random(seed));
        AtomicInteger lasts = new AtomicInteger();
        AtomicInteger firsts = new AtomicInteger();
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int worker = t;
            Tally tally = processes.get(t % processes.size());
            tasks.add(() -> {
                for (int i = worker; i < deliveries.size(); i += threads) {
                    int part = deliveries.get(i);
                    PartCompletion c = retrying(() -> tally.completePart(job.id(), part));
                    if (c.changed()) {
                        firsts.incrementAndGet();
                    }
                    if (c.last()) {
                        lasts.incrementAndGet();
                        assertThat(c.remaining()).isZero();
                    }
                }
                return null;
            });
        }
        runTogether(threads, tasks);
        assertThat(lasts).as("calls that saw last (seed %d)", seed).hasValue(1);
        assertThat(firsts).as("first deliveries (seed %d)", seed).hasValue(parts);
        JobSnapshot s = processes.get(processes.size() - 1).snapshot(job.id()).orElseThrow();
        assertThat(s.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(s.succeeded()).isEqualTo(parts);
        assertThat(s.failed()).isZero();
        assertThat(s.settled()).isTrue();
        assertThat(processes.get(0).pendingParts(job.id())).isEmpty();
        assertThat(processes.get(0).partPayload(job.id(), parts - 1).orElseThrow())
                .containsEntry("url", "https://example.com/" + (parts - 1))
                .containsEntry("partId", parts - 1);
    }

    /**
     * Keyed items from two processes, more keys than the pending map holds (so entries move to their rows while the
     * others write): each key counts once, moves from failure to success once, and is listed once.
     */
    @Test
    void keyedItemsFromTwoProcessesCountOnceThroughTheirRows() throws Exception {
        long seed = seed("dynamodb items");
        int keys = 400;
        List<Tally> processes = List.of(smallPendingMap(), smallPendingMap());
        Job job = processes
                .get(0)
                .create(JobSpec.builder().name("items").total(keys).start(true).build());
        int threads = 8;
        for (String outcome : List.of("F", "S")) {
            List<Integer> deliveries = deliveries(keys, new Random(seed + outcome.hashCode()));
            List<Callable<Void>> tasks = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int worker = t;
                Job handle = processes.get(t % 2).get(job.id());
                tasks.add(() -> {
                    for (int i = worker; i < deliveries.size(); i += threads) {
                        String key = "item-" + deliveries.get(i);
                        if (outcome.equals("F")) {
                            retrying(() -> handle.recordFailure(key, "first try"));
                        } else {
                            retrying(() -> handle.recordSuccess(key));
                        }
                    }
                    return null;
                });
            }
            runTogether(threads, tasks);
            io.tally.Progress p = job.progress();
            assertThat(outcome.equals("F") ? p.failed() : p.succeeded())
                    .as("seed %d", seed)
                    .isEqualTo(keys);
            assertThat(outcome.equals("F") ? p.succeeded() : p.failed()).isZero();
        }
        assertThat(job.items().get(Outcome.SUCCESS)).hasSize(keys);
        assertThat(job.items().getOrDefault(Outcome.FAILURE, java.util.Set.of()))
                .isEmpty();
        // paged by key, each key once, whether its outcome sits in its row or still in the job's pending map
        List<String> seen = new ArrayList<>();
        String after = null;
        while (true) {
            io.tally.Page<StoredItem> page = job.items(null, after, 100);
            page.items().forEach(i -> seen.add(i.key()));
            if (page.next().isEmpty()) {
                break;
            }
            after = page.next().get();
        }
        assertThat(seen).hasSize(keys).doesNotHaveDuplicates().isSorted();
    }

    /**
     * A caller interrupted during its calls (a sweeper being closed is): its requests are not aborted half-way (an
     * aborted request took dynalite down), and every call still gets its answer.
     */
    @Test
    void interruptedCallersGetTheirAnswersAndAbortNoRequest() throws Exception {
        Tally tally = process();
        Job job = tally.create(JobSpec.builder().name("interrupted").start(true).build());
        AtomicInteger calls = new AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread caller = new Thread(() -> {
            while (!stop.get()) {
                try {
                    job.recordSuccess();
                    tally.find(job.id()).orElseThrow();
                    tally.query(io.tally.JobQuery.builder().name("interrupted").build());
                    calls.addAndGet(3);
                } catch (RuntimeException e) {
                    errors.add(e);
                    return;
                }
            }
        });
        caller.start();
        for (int i = 0; i < 60; i++) {
            int before = calls.get();
            caller.interrupt();
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> calls.get() > before || !errors.isEmpty());
        }
        stop.set(true);
        caller.join();
        assertThat(errors).isEmpty();
        assertThat(job.progress().succeeded()).isEqualTo(calls.get() / 3);
        assertThat(tally.find(job.id())).isPresent(); // the server still answers
    }

    @Test
    void tooManyPartsAreRefusedNamingPartsAndNothingIsWritten() {
        Tally tally = process();
        List<Map<String, Integer>> parts = IntStream.range(0, DynamoDbJobStore.MAX_PARTS + 1)
                .mapToObj(i -> Map.of("i", i))
                .toList();
        assertThatThrownBy(() -> tally.create(JobSpec.builder()
                        .id("too-many")
                        .name("big")
                        .parts(parts)
                        .build()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("parts")
                .hasMessageContaining(Integer.toString(DynamoDbJobStore.MAX_PARTS))
                .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo("parts"));
        assertThat(tally.find("too-many")).isEmpty();
        assertThat(tally.stats().values().stream().mapToLong(Long::longValue).sum())
                .isZero();
    }

    @Test
    void metadataPastTheItemLimitIsRefusedNamingItAndNothingIsWritten() {
        // The core lets 64 KiB of metadata through; a store SPI caller may pass more, and the item holds 400 KB.
        Tally tally = process();
        JobStore store = tally.storeSpi();
        String metadata = "{\"blob\":\"" + "x".repeat(300 * 1024) + "\"}";
        NewJob big = new NewJob("too-big", "big", null, null, metadata, 0, false, List.of(), 0, null, null, null, null);
        assertThatThrownBy(() -> store.create(big))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("400 KB")
                .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo("metadata"));
        assertThat(store.find("too-big")).isEmpty();
    }

    @Test
    void aJobCreatedAgainUnderADeletedOnesIdStartsEmpty() {
        Tally tally = process();
        Job first = tally.create(
                JobSpec.builder().id("again").name("one").start(true).build());
        first.recordFailure("a", "no");
        first.log("INFO", "old line");
        assertThat(tally.delete("again")).isTrue();
        assertThat(tally.delete("again")).isFalse();
        Job second = tally.create(JobSpec.builder().id("again").name("two").build());
        assertThat(second.items().values()).allMatch(java.util.Set::isEmpty);
        assertThat(second.logs(0, 10)).isEmpty();
        second.log("INFO", "new line");
        assertThat(second.logs(0, 10))
                .singleElement()
                .satisfies(l -> assertThat(l.seq()).isEqualTo(1));
    }

    @Test
    void opensByUrlThroughTheServiceLoader() {
        try (Tally tally = Tally.open(url)) {
            Job job = tally.create(JobSpec.builder().name("by-url").total(2).build());
            job.recordSuccess();
            assertThat(tally.snapshot(job.id()).orElseThrow().succeeded()).isEqualTo(1);
        }
    }

    @Test
    void badUrlsAreRefusedNamingTheUrl() {
        DynamoDbJobStoreProvider provider = new DynamoDbJobStoreProvider();
        assertThat(provider.supports("dynamodb://h:1")).isTrue();
        assertThat(provider.supports("redis://h:1")).isFalse();
        for (String bad : List.of(
                "dynamodb://127.0.0.1:1?colour=blue",
                "dynamodb://127.0.0.1:1?table=no spaces",
                "dynamodb://127.0.0.1?region=us-east-1",
                "dynamodb://127.0.0.1:1/path",
                "dynamodb:somewhere",
                "dynamodb://127.0.0.1:1?namespace=a/b")) {
            assertThatThrownBy(() -> provider.open(bad, clock))
                    .as(bad)
                    .isInstanceOf(InvalidInputException.class)
                    .satisfies(
                            e -> assertThat(((InvalidInputException) e).field()).isEqualTo("url"));
        }
    }

    @Test
    void theApplicationsOwnClientIsUsedAndLeftOpen() {
        URI server = URI.create(TestServices.dynamodbUrl());
        try (DynamoDbClient client = DynamoDbClient.builder()
                .endpointOverride(URI.create("http://" + server.getHost() + ":" + server.getPort()))
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("app", "app")))
                .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create())
                .build()) {
            DynamoDbJobStore store = DynamoDbJobStore.builder()
                    .client(client)
                    .tablePrefix(PREFIX)
                    .namespace("own" + Long.toHexString(new Random().nextLong()).replace("-", ""))
                    .clock(clock)
                    .build();
            try (Tally tally = Tally.builder().store(store).clock(clock).build()) {
                Job job = tally.create(JobSpec.builder().name("own-client").build());
                assertThat(tally.find(job.id())).isPresent();
            }
            // the store is closed with the Tally; the application's client still works
            assertThat(client.describeTable(b -> b.tableName(PREFIX + "jobs"))
                            .table()
                            .tableName())
                    .isEqualTo(PREFIX + "jobs");
        }
    }
}
