package io.tally.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.FailureReason;
import io.tally.JobState;
import io.tally.store.LogEntry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class MapReduceTest extends RunnerTestSupport {
    private final AtomicInteger reduces = new AtomicInteger();
    private final AtomicInteger partRuns = new AtomicInteger();

    private static List<Map<String, Object>> parts(int n) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(Map.of("n", i));
        }
        return out;
    }

    private final PartFunction square = ctx -> {
        partRuns.incrementAndGet();
        int n = ((Number) ctx.payload().get("n")).intValue();
        ctx.log().info("squaring {}", n);
        return n * n;
    };

    private final ReduceFunction sum = ctx -> {
        reduces.incrementAndGet();
        ctx.log().info("reducing {} results", ctx.results(Integer.class).size());
        return ctx.results(Integer.class).stream().mapToLong(Integer::longValue).sum();
    };

    private static long sumOfSquares(int n) {
        long s = 0;
        for (int i = 0; i < n; i++) {
            s += (long) i * i;
        }
        return s;
    }

    @Test
    void partsRunOnTheInProcessDispatcherAndTheReduceRunsOnceWithEveryResult() {
        Runner runner = track(runner().workerThreads(4).build());

        MapReduceJob job = runner.mapReduce("tiles", parts(200), square, sum, MapReduceOptions.defaults())
                .await();

        assertThat(job.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(job.result(Long.class)).contains(sumOfSquares(200));
        assertThat(reduces).hasValue(1);
        assertThat(job.snapshot().settled()).isTrue();
        assertThat(job.progress().succeeded()).isEqualTo(200);
        List<LogEntry> logs = job.logs();
        assertThat(logs.stream().filter(l -> l.level().equals("RESULT"))).hasSize(200);
        assertThat(logs.stream().filter(l -> l.message().startsWith("squaring ")))
                .hasSize(200);
        assertThat(job.reduceLogs()).anySatisfy(l -> assertThat(l.toString()).contains("reducing 200 results"));
        assertThat(job.reduceSnapshot().orElseThrow().parent()).contains(job.id());
    }

    /**
     * Fewer lines than a log batch, so no full batch writes them: the reduce, which runs inside the last part's
     * completion, finds every part's line stored, and so does whoever sees the job end. (Before the write ahead of the
     * reduce, they were written when the last part let the shared log go, after the reduce.)
     */
    @Test
    void thePartsLogLinesAreStoredBeforeTheReduceRuns() {
        Runner runner = track(runner().workerThreads(4).build());
        List<Long> seenByTheReduce = new java.util.concurrent.CopyOnWriteArrayList<>();
        ReduceFunction countLines = ctx -> {
            seenByTheReduce.add(tally.get(ctx.jobId()).logs(0, 1000).stream()
                    .filter(l -> l.message().startsWith("squaring "))
                    .count());
            return sum.reduce(ctx);
        };

        MapReduceJob job = runner.mapReduce("tiles", parts(8), square, countLines, MapReduceOptions.defaults())
                .await();

        assertThat(job.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(seenByTheReduce).containsExactly(8L);
        assertThat(job.logs().stream().filter(l -> l.message().startsWith("squaring ")))
                .hasSize(8);
    }

    @Test
    void theSameMapMessageHandledTwiceNeverRunsTheReduceTwice() throws Exception {
        CapturingDispatcher d = new CapturingDispatcher();
        Runner runner = track(runner().dispatcher(d).build());

        MapReduceJob job = runner.mapReduce("tiles", parts(3), square, sum, MapReduceOptions.defaults());
        assertThat(d.published).hasSize(3);
        for (WorkMessage m : d.published) {
            d.handler.handle(m);
            d.handler.handle(m); // redelivered before the job settled
        }
        for (WorkMessage m : d.published) {
            d.handler.handle(m.redelivery()); // redelivered after the job settled
        }

        assertThat(job.await(Duration.ofSeconds(30))).isTrue();
        assertThat(reduces).hasValue(1);
        assertThat(job.result(Long.class)).contains(sumOfSquares(3));
    }

    @Test
    void concurrentRedeliveriesOfEveryPartSettleExactlyOnce() throws Exception {
        long seed = Long.getLong("tally.seed", System.nanoTime());
        System.out.println("MapReduceTest seed: " + seed + " (-Dtally.seed=" + seed + ")");
        java.util.Random random = new java.util.Random(seed);
        CapturingDispatcher d = new CapturingDispatcher();
        Runner runner = track(runner().dispatcher(d).build());
        int n = 300;

        MapReduceJob job = runner.mapReduce("tiles", parts(n), square, sum, MapReduceOptions.defaults());
        List<WorkMessage> deliveries = new ArrayList<>();
        for (WorkMessage m : d.published) {
            int times = 2 + random.nextInt(2);
            for (int i = 0; i < times; i++) {
                deliveries.add(i == 0 ? m : m.redelivery());
            }
        }
        java.util.Collections.shuffle(deliveries, random);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
            for (WorkMessage m : deliveries) {
                futures.add(pool.submit(() -> {
                    d.handler.handle(m);
                    return null;
                }));
            }
            for (var f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }

        assertThat(job.await(Duration.ofSeconds(30))).isTrue();
        assertThat(reduces).hasValue(1);
        assertThat(job.result(Long.class)).contains(sumOfSquares(n));
        assertThat(partRuns.get()).isBetween(n, deliveries.size());
    }

    @Test
    void anExceptionListedInFailJobOnFailsTheJobAndTheReduceNeverRuns() {
        Runner runner = track(runner().build());
        PartFunction failing = ctx -> {
            if (ctx.part() == 7) {
                throw new IOException("tile 7 is corrupt");
            }
            return 1;
        };

        MapReduceJob job = runner.mapReduce(
                        "tiles", parts(20), failing, sum, MapReduceOptions.failJobOn(IOException.class))
                .await();

        assertThat(job.state()).isEqualTo(JobState.FAILED);
        assertThat(job.error()).hasValueSatisfying(e -> {
            assertThat(e.reason()).isEqualTo(FailureReason.PART_FAILED);
            assertThat(e.message()).contains("tile 7 is corrupt");
        });
        assertThat(reduces).hasValue(0);
        assertThat(job.reduceSnapshot()).isEmpty();
    }

    @Test
    void otherExceptionsAreRetriedAndSucceedOnALaterAttempt() {
        Runner runner = track(runner().build());
        Map<Integer, AtomicInteger> attempts = new ConcurrentHashMap<>();
        PartFunction flaky = ctx -> {
            if (attempts.computeIfAbsent(ctx.part(), k -> new AtomicInteger()).incrementAndGet() < 3) {
                throw new IllegalStateException("transient");
            }
            return ctx.attempt();
        };

        MapReduceJob job = runner.mapReduce(
                        "flaky",
                        parts(10),
                        flaky,
                        ctx -> ctx.results(Integer.class),
                        MapReduceOptions.defaults().maxAttempts(3))
                .await();

        assertThat(job.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(job.result(List.class)).contains(List.of(3, 3, 3, 3, 3, 3, 3, 3, 3, 3));
    }

    @Test
    void toleratedFailuresLetTheReduceRunWithTheFailedPartsNamed() {
        Runner runner = track(runner().build());
        AtomicReference<List<Integer>> failed = new AtomicReference<>();
        PartFunction oneBad = ctx -> {
            if (ctx.part() == 4) {
                throw new IllegalStateException("always fails");
            }
            return ctx.part();
        };

        MapReduceJob job = runner.mapReduce(
                        "tolerant",
                        parts(10),
                        oneBad,
                        ctx -> {
                            failed.set(ctx.failedParts());
                            return ctx.resultsByPart(Integer.class).keySet();
                        },
                        MapReduceOptions.defaults().toleratedFailures(1).maxAttempts(2))
                .await();

        assertThat(job.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(failed.get()).containsExactly(4);
        assertThat(job.result(List.class)).contains(List.of(0, 1, 2, 3, 5, 6, 7, 8, 9));
    }

    @Test
    void moreFailuresThanToleratedFailTheJob() {
        Runner runner = track(runner().build());
        PartFunction twoBad = ctx -> {
            if (ctx.part() == 1 || ctx.part() == 2) {
                throw new IllegalStateException("always fails");
            }
            return 0;
        };

        MapReduceJob job = runner.mapReduce(
                        "strict",
                        parts(5),
                        twoBad,
                        sum,
                        MapReduceOptions.defaults().toleratedFailures(1).maxAttempts(1))
                .await();

        assertThat(job.state()).isEqualTo(JobState.FAILED);
        assertThat(reduces).hasValue(0);
    }

    @Test
    void aPublishErrorFailsMapReduceLoudlyAndFailsTheJob() {
        CapturingDispatcher d = new CapturingDispatcher();
        d.failAfter = 2;
        Runner runner = track(runner().dispatcher(d).build());

        assertThatThrownBy(() -> runner.mapReduce("tiles", parts(5), square, sum, MapReduceOptions.defaults()))
                .isInstanceOf(DispatchException.class)
                .hasMessageContaining("broker down");

        var jobs =
                tally.query(io.tally.JobQuery.builder().name("tiles").build()).items();
        assertThat(jobs).hasSize(1);
        assertThat(jobs.get(0).state()).isEqualTo(JobState.FAILED);
        assertThat(jobs.get(0).error())
                .hasValueSatisfying(e -> assertThat(e.message()).contains("broker down"));
    }

    @Test
    void aFailedReduceCanBeRunAgainOnce() {
        AtomicInteger calls = new AtomicInteger();
        Runner runner = track(runner().build());
        ReduceFunction failsFirst = ctx -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("disk full");
            }
            return ctx.results(Integer.class).size();
        };

        MapReduceJob job = runner.mapReduce("tiles", parts(5), square, failsFirst, MapReduceOptions.defaults())
                .await();
        assertThat(job.state()).isEqualTo(JobState.FAILED);
        assertThat(job.error()).hasValueSatisfying(e -> assertThat(e.message()).isEqualTo("disk full"));

        runner.rerunReduce(job.id()).await();
        assertThat(job.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(job.result(Integer.class)).contains(5);
        assertThatThrownBy(() -> runner.rerunReduce(job.id()))
                .isInstanceOf(io.tally.InvalidInputException.class)
                .hasMessageContaining("is SUCCEEDED; not re-run");
        assertThat(calls).hasValue(2);
    }

    @Test
    void workMessagesRoundTripThroughJson() {
        WorkMessage m = WorkMessage.map("tiles", "job-1", 3).redelivery();
        assertThat(WorkMessage.fromJson(m.toJson())).isEqualTo(m);
        assertThat(m.attempt()).isEqualTo(2);
    }

    /** Keeps published messages for the test to deliver; optionally fails after some publishes. */
    static final class CapturingDispatcher implements Dispatcher {
        final List<WorkMessage> published = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile MessageHandler handler;
        int failAfter = Integer.MAX_VALUE;

        @Override
        public void start(MessageHandler handler) {
            this.handler = handler;
        }

        @Override
        public void publish(WorkMessage message) {
            if (published.size() >= failAfter) {
                throw new DispatchException("broker down");
            }
            published.add(message);
        }

        @Override
        public void close() {}
    }
}
