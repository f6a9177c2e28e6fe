package io.tally.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.api.StatefulRedisConnection;
import io.tally.JobState;
import io.tally.Tally;
import io.tally.testing.TestServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance tests of a broker dispatcher, run by each broker's IT: {@code tally worker} processes (separate
 * JVMs running {@link Worker}) on a Redis store, the work dispatched through the broker.
 *
 * <ul>
 *   <li>two workers share 2,000 parts, one is killed with SIGKILL half-way: the reduce runs exactly once (counted in
 *       Redis across processes) with every part's result; a part's message published again after the reduce is
 *       consumed and acknowledged without running the reduce again;
 *   <li>a poison message (a part whose work always throws) is moved to the broker's dead-letter place after
 *       {@code --max-deliveries 3} deliveries, and the job fails with a reason naming the part and the deliveries.
 * </ul>
 */
abstract class BrokerWorkers {
    static final int PARTS = 2000;

    @TempDir
    Path dir;

    /** Letters and digits unique to this test: its queue, stream and namespace names. */
    final String run = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

    private String redisUrl;
    private String counter;
    private RedisClient client;
    private StatefulRedisConnection<String, String> redis;
    private final List<Process> workers = new ArrayList<>();

    /** @return the broker's URL (skips the test when it does not answer) */
    abstract String url();

    /** @return the worker options naming this test's queue (and stream), after {@code --via url()} */
    abstract List<String> transportArgs();

    /** @return a publisher-only dispatcher on this test's queue */
    abstract Dispatcher publisher();

    /** @return the messages waiting in the work queue (ready, not delivered) */
    abstract long waiting() throws Exception;

    /** @return the messages in the dead-letter place, as sent; with the deliveries the broker or worker noted */
    abstract List<WorkMessage> deadLetters() throws Exception;

    /** Deletes this test's queues or streams. */
    abstract void deleteQueues() throws Exception;

    @BeforeEach
    void connectRedis() {
        url(); // skip before anything starts when the broker is down
        redisUrl = TestServices.redisUrl();
        counter = "tally-test:mq-reduces:" + run;
        client = RedisClient.create(redisUrl);
        redis = client.connect();
    }

    @AfterEach
    void cleanUp() throws Exception {
        workers.forEach(Process::destroyForcibly);
        for (Process p : workers) {
            p.waitFor();
        }
        try {
            deleteQueues();
        } finally {
            if (redis != null) {
                ScanIterator<String> keys = ScanIterator.scan(
                        redis.sync(), ScanArgs.Builder.matches("{" + run + "}*").limit(1000));
                while (keys.hasNext()) {
                    redis.sync().del(keys.next());
                }
                redis.sync().del(counter);
                redis.close();
                client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
            }
        }
    }

    private String storeUrl() {
        return TestServices.withOption(redisUrl, "namespace=" + run);
    }

    private Path definitions() throws Exception {
        Path defs = dir.resolve("jobs.yaml");
        Files.writeString(defs, """
                mapReduces:
                  - name: mq-tiles
                    part: io.tally.runner.MultiProcessJobs#part
                    reduce: io.tally.runner.MultiProcessJobs#reduce
                  - name: mq-poison
                    part: io.tally.runner.MultiProcessJobs#poison
                    reduce: io.tally.runner.MultiProcessJobs#reduce
                    maxAttempts: 10
                """);
        return defs;
    }

    @Test
    void twoWorkersShareThePartsOneIsKilledHalfWayAndTheReduceRunsOnce() throws Exception {
        Path defs = definitions();
        Dispatcher publishing = publisher();
        try (Tally tally = Tally.open(storeUrl());
                Runner publisher = Runner.builder(tally)
                        .definitions(defs)
                        .dispatcher(publishing)
                        .build()) {
            List<Map<String, Object>> parts = new ArrayList<>();
            for (int i = 0; i < PARTS; i++) {
                parts.add(Map.of("n", i));
            }
            MapReduceJob job = publisher.mapReduce("mq-tiles", parts);
            // The victim hangs in its 51st part, holding the messages it took, until it is killed half-way.
            Process victim = startWorker(defs, "victim", List.of("tally.test.stallAfter=50"));
            Process survivor = startWorker(defs, "survivor", List.of());

            await().ignoreExceptions()
                    .atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> job.progress().succeeded() >= PARTS / 2);
            victim.destroyForcibly(); // SIGKILL: no shutdown hook, its messages are unacknowledged
            victim.waitFor();
            long doneAtKill = job.progress().succeeded();

            await().ignoreExceptions()
                    .atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> job.state().isTerminal());

            assertThat(doneAtKill).as("the kill happened half-way").isLessThan(PARTS);
            assertThat(job.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(job.progress().succeeded()).isEqualTo(PARTS);
            @SuppressWarnings("unchecked")
            Map<String, Number> result = job.result(Map.class).orElseThrow();
            assertThat(result.get("count").longValue()).isEqualTo(PARTS);
            assertThat(result.get("sum").longValue()).isEqualTo((long) PARTS * (PARTS - 1));
            assertThat(redis.sync().get(counter)).as("reduce runs").isEqualTo("1");

            // A part's message delivered again after the reduce (the last part's, as a late redelivery would be).
            publishing.publish(WorkMessage.map("mq-tiles", job.id(), PARTS - 1).redelivery());
            await().atMost(Duration.ofSeconds(30)).until(() -> waiting() == 0);
            survivor.destroy(); // SIGTERM: the worker finishes what it holds and closes; nothing unacknowledged stays
            assertThat(survivor.waitFor()).isNotNegative();

            assertThat(waiting()).as("the late message was acknowledged").isZero();
            assertThat(redis.sync().get(counter)).as("reduce runs").isEqualTo("1");
            assertThat(job.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(deadLetters()).isEmpty();
        }
    }

    @Test
    void aPoisonMessageIsDeadLetteredAfterMaxDeliveriesAndFailsTheJob() throws Exception {
        Path defs = definitions();
        try (Tally tally = Tally.open(storeUrl());
                Runner publisher = Runner.builder(tally)
                        .definitions(defs)
                        .dispatcher(publisher())
                        .build()) {
            MapReduceJob job = publisher.mapReduce(
                    "mq-poison", List.of(Map.of("n", 0), Map.of("n", 1, "poison", true), Map.of("n", 2)));
            startWorker(defs, "worker", List.of(), "--max-deliveries", "3");

            await().ignoreExceptions()
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> job.state().isTerminal());
            assertThat(job.state()).isEqualTo(JobState.FAILED);
            assertThat(job.error().orElseThrow().message())
                    .contains("part 1 of mq-poison job " + job.id())
                    .contains("after 3 deliveries")
                    .contains("poison part 1 always fails");
            await().atMost(Duration.ofSeconds(30)).until(() -> !deadLetters().isEmpty());
            List<WorkMessage> dead = deadLetters();
            assertThat(dead).hasSize(1);
            assertThat(dead.get(0).jobId()).isEqualTo(job.id());
            assertThat(dead.get(0).part()).isEqualTo(1);
            assertThat(dead.get(0).payload()) // watchbot's message: the part's payload with jobId and partId
                    .isEqualTo(Map.of("n", 1, "poison", true, "jobId", job.id(), "partId", 1));
            assertThat(redis.sync().get(counter)).as("reduce runs").isNull();
        }
    }

    private Process startWorker(Path defs, String name, List<String> systemProperties, String... more)
            throws Exception {
        List<String> props =
                new ArrayList<>(List.of("tally.test.redis=" + redisUrl, "tally.test.reduceCounter=" + counter));
        props.addAll(systemProperties);
        List<String> args = new ArrayList<>(
                List.of("--store", storeUrl(), "--definitions", defs.toString(), "--via", url(), "--threads", "4"));
        args.addAll(transportArgs());
        args.addAll(List.of(more));
        Process p = WorkerProcesses.start(dir.resolve(name + ".log"), props, args.toArray(new String[0]));
        workers.add(p);
        return p;
    }
}
