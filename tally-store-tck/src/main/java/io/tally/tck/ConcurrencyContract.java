package io.tally.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.IllegalTransitionException;
import io.tally.Job;
import io.tally.JobSnapshot;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.PartCompletion;
import io.tally.StoreUnavailableException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Many threads, duplicates and redeliveries, exact counts: the fuzz test every store runs. Thread and part counts are
 * methods so that stores for bigger machines can raise them.
 */
public interface ConcurrencyContract extends StoreFixture {

    /** @return concurrent callers in the fuzz tests (at least 16) */
    default int fuzzThreads() {
        return 16;
    }

    /** @return parts in the fuzz test (at least 10,000) */
    default int fuzzParts() {
        return 10_000;
    }

    /** @return the seed of this run: {@code -Dtally.seed=N} reproduces one */
    static long seed(String test) {
        String given = System.getProperty("tally.seed", "");
        long seed = given.isBlank() ? new Random().nextLong() : Long.parseLong(given.trim());
        System.out.println(test + ": seed " + seed + " (reproduce with -Dtally.seed=" + seed + ")");
        return seed;
    }

    /** Runs {@code tasks} on {@code threads} threads started together; returns their results. */
    static <T> List<T> runTogether(int threads, List<Callable<T>> tasks) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> t : tasks) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return t.call();
                }));
            }
            go.countDown();
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    private Job partsJob(String name, int parts) {
        return tally().create(JobSpec.builder()
                .name(name)
                .parts(IntStream.range(0, parts).mapToObj(i -> Map.of("i", i)).toList())
                .build());
    }

    /** @return every part number of {@code 0..parts-1} two or three times, in random order (redeliveries) */
    static List<Integer> deliveries(int parts, Random random) {
        List<Integer> deliveries = new ArrayList<>();
        for (int p = 0; p < parts; p++) {
            for (int c = 2 + random.nextInt(2); c > 0; c--) {
                deliveries.add(p);
            }
        }
        Collections.shuffle(deliveries, random);
        return deliveries;
    }

    /** Retries a store call that failed because the store was briefly unavailable (it is idempotent). */
    static <T> T retrying(Callable<T> call) {
        return org.awaitility.Awaitility.await("a store call through an outage")
                .atMost(java.time.Duration.ofSeconds(30))
                .pollInSameThread() // the common case succeeds at once: no thread hand-off, no initial delay
                .pollDelay(java.time.Duration.ZERO)
                .pollInterval(java.time.Duration.ofMillis(20))
                .ignoreExceptionsInstanceOf(StoreUnavailableException.class)
                .until(call, java.util.Objects::nonNull);
    }

    @Test
    default void everyPartCompletedTwoOrThreeTimesInRandomOrderSettlesExactlyOnce() throws Exception {
        long seed = seed("parts fuzz");
        Random random = new Random(seed);
        int n = fuzzParts();
        Job job = partsJob("fuzz", n);
        List<Integer> deliveries = deliveries(n, random);
        int threads = fuzzThreads();
        AtomicInteger lasts = new AtomicInteger();
        AtomicInteger firsts = new AtomicInteger();
        AtomicLong calls = new AtomicLong();
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int worker = t;
            tasks.add(() -> {
                for (int i = worker; i < deliveries.size(); i += threads) {
                    int part = deliveries.get(i);
                    PartCompletion c;
                    if (i % 7 == 0 && i + threads < deliveries.size()) {
                        // Some workers batch two deliveries into one call.
                        int other = deliveries.get(i + threads);
                        c = retrying(() -> tally().completeParts(job.id(), part, other));
                        i += threads;
                    } else {
                        c = retrying(() -> tally().completePart(job.id(), part));
                    }
                    calls.incrementAndGet();
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
        JobSnapshot s = job.snapshot();
        assertThat(s.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(s.succeeded()).isEqualTo(n);
        assertThat(s.failed()).isZero();
        assertThat(s.settled()).isTrue();
        assertThat(tally().pendingParts(job.id())).isEmpty();
        assertThat(firsts.get()).isBetween(1, n);
    }

    @Test
    default void asyncCompletionsManyInFlightSettleExactlyOnce() throws Exception {
        // One thread keeps up to 64 completePartAsync calls in flight over every part delivered two or three times in
        // random order: each part's first delivery, and only it, says first; exactly one call says last.
        long seed = seed("async parts");
        Random random = new Random(seed);
        int n = fuzzParts() / 5;
        Job job = partsJob("async", n);
        List<Integer> deliveries = deliveries(n, random);
        Semaphore window = new Semaphore(64);
        List<CompletableFuture<PartCompletion>> answers = new ArrayList<>();
        for (int part : deliveries) {
            window.acquire();
            // (the retry blocks: not on the thread that completed the call, which may be the store's I/O thread)
            CompletableFuture<PartCompletion> answer = tally().completePartAsync(job.id(), part)
                    .exceptionallyAsync(e -> e.getCause() instanceof StoreUnavailableException
                            ? retrying(() -> tally().completePart(job.id(), part))
                            : null);
            answer.whenComplete((c, e) -> window.release());
            answers.add(answer);
        }
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        List<PartCompletion> done =
                answers.stream().map(CompletableFuture::join).toList();
        assertThat(done).as("answers (seed %d)", seed).doesNotContainNull();
        assertThat(done.stream().filter(PartCompletion::last))
                .as("calls that saw last (seed %d)", seed)
                .containsExactly(new PartCompletion(true, 0, true));
        assertThat(done.stream().filter(PartCompletion::first).count())
                .as("calls that saw first (seed %d)", seed)
                .isEqualTo(n);
        JobSnapshot s = job.snapshot();
        assertThat(s.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(s.succeeded()).isEqualTo(n);
        assertThat(tally().pendingParts(job.id())).isEmpty();
    }

    @Test
    default void asyncKeyedRecordsManyInFlightCountEachItemOnce() throws Exception {
        // One thread keeps up to 64 recordSuccessAsync calls in flight over keys delivered two or three times in random
        // order, on two jobs at once (so that calls of one job and of another share round trips): every key counts
        // once.
        long seed = seed("async items");
        Random random = new Random(seed);
        int keys = fuzzParts() / 5;
        List<Job> jobs = List.of(running(keys), running(keys));
        Semaphore window = new Semaphore(64);
        List<CompletableFuture<?>> answers = new ArrayList<>();
        for (int key : deliveries(keys, random)) {
            for (Job job : jobs) {
                window.acquire();
                String item = "item-" + key;
                // (the retry blocks: not on the thread that completed the call, which may be the store's I/O thread)
                CompletableFuture<?> answer = job.recordSuccessAsync(item)
                        .exceptionallyAsync(e -> e.getCause() instanceof StoreUnavailableException
                                ? retrying(() -> job.recordSuccess(item))
                                : null);
                answer.whenComplete((c, e) -> window.release());
                answers.add(answer);
            }
        }
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        assertThat(answers.stream().map(CompletableFuture::join))
                .as("answers (seed %d)", seed)
                .doesNotContainNull();
        for (Job job : jobs) {
            assertThat(job.progress().succeeded()).as("seed %d", seed).isEqualTo(keys);
            assertThat(job.progress().pending()).isZero();
            assertThat(job.items().get(io.tally.Outcome.SUCCESS)).hasSize(keys);
        }
    }

    @Test
    default void concurrentKeyedAndAnonymousProgressCountsExactly() throws Exception {
        long seed = seed("items fuzz");
        Random random = new Random(seed);
        int threads = fuzzThreads();
        int keys = 2000;
        Job job = running(keys + (long) threads * 500);
        // Every key is recorded by several threads, as failure then success or straight success;
        // every thread also records 500 anonymous successes.
        List<List<String[]>> plans = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            plans.add(new ArrayList<>());
        }
        for (int k = 0; k < keys; k++) {
            String key = "item-" + k;
            plans.get(random.nextInt(threads)).add(new String[] {key, "F"});
            plans.get(random.nextInt(threads)).add(new String[] {key, "F"});
        }
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            List<String[]> plan = plans.get(t);
            Collections.shuffle(plan, new Random(seed + t));
            tasks.add(() -> {
                for (String[] step : plan) {
                    retrying(() -> job.recordFailure(step[0], "first try"));
                }
                for (int i = 0; i < 500; i++) {
                    retrying(job::recordSuccess);
                }
                return null;
            });
        }
        runTogether(threads, tasks);
        assertThat(job.progress().failed()).as("seed %d", seed).isEqualTo(keys);
        assertThat(job.progress().succeeded()).isEqualTo(threads * 500L);
        // Now every key succeeds, from all threads at once, twice each.
        List<Callable<Void>> retries = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int worker = t;
            retries.add(() -> {
                for (int k = worker; k < keys * 2; k += threads) {
                    String key = "item-" + (k % keys);
                    retrying(() -> job.recordSuccess(key));
                }
                return null;
            });
        }
        runTogether(threads, retries);
        assertThat(job.progress().failed()).isZero();
        assertThat(job.progress().succeeded()).isEqualTo(threads * 500L + keys);
        assertThat(job.progress().pending()).isZero();
        assertThat(job.items().get(io.tally.Outcome.SUCCESS)).hasSize(keys);
    }

    @Test
    default void racingTransitionsHaveOneWinner() throws Exception {
        int threads = fuzzThreads();
        for (int round = 0; round < 20; round++) {
            Job job = running(1);
            List<Callable<JobState>> tasks = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int kind = t % 3;
                tasks.add(() -> {
                    try {
                        JobSnapshot s = kind == 0 ? job.finish("t") : kind == 1 ? job.fail("f") : job.cancel("c");
                        return s.state();
                    } catch (IllegalTransitionException lost) {
                        return null;
                    }
                });
            }
            List<JobState> results = runTogether(threads, tasks);
            JobState finalState = job.snapshot().state();
            assertThat(finalState.isTerminal()).isTrue();
            assertThat(results.stream().filter(r -> r != null)).allMatch(r -> r == finalState);
        }
    }
}
