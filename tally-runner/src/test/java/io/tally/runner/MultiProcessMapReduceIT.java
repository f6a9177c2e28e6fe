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
import java.sql.Connection;
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
 * The acceptance test: two worker processes share 2,000 parts over a Redis Stream, on a Redis store and on a
 * PostgreSQL store; one worker is killed with SIGKILL half-way; the reduce still runs exactly once, with every part's
 * result.
 */
class MultiProcessMapReduceIT {
    private static final int PARTS = 2000;

    @TempDir
    Path dir;

    private String redisUrl;
    private String stream;
    private String counter;
    private RedisClient client;
    private StatefulRedisConnection<String, String> redis;
    private final List<Process> workers = new ArrayList<>();
    private final List<Runnable> cleanups = new ArrayList<>();

    @BeforeEach
    void connect() {
        redisUrl = TestServices.redisUrl();
        String run = UUID.randomUUID().toString();
        stream = "tally-test:mp:" + run;
        counter = "tally-test:mp-reduces:" + run;
        client = RedisClient.create(redisUrl);
        redis = client.connect();
    }

    @AfterEach
    void cleanUp() {
        workers.forEach(Process::destroyForcibly);
        for (Process p : workers) {
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        cleanups.forEach(Runnable::run);
        if (redis != null) {
            redis.sync().del(stream, counter);
            redis.close();
            client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        }
    }

    @Test
    void onARedisStore() throws Exception {
        String namespace = "mp" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        cleanups.add(() -> {
            ScanIterator<String> keys = ScanIterator.scan(
                    redis.sync(),
                    ScanArgs.Builder.matches("{" + namespace + "}*").limit(1000));
            while (keys.hasNext()) {
                redis.sync().del(keys.next());
            }
        });
        twoWorkersOneKilledHalfWay(redisUrl + (redisUrl.contains("?") ? "&" : "?") + "namespace=" + namespace);
    }

    @Test
    void onAPostgresStore() throws Exception {
        String base = TestServices.postgresUrl();
        String schema =
                "tally_mp_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        cleanups.add(() -> {
            try (Connection c = TestServices.connect(base)) {
                c.createStatement().execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        twoWorkersOneKilledHalfWay(base + (base.contains("?") ? "&" : "?") + "schema=" + schema);
    }

    private void twoWorkersOneKilledHalfWay(String storeUrl) throws Exception {
        Path defs = dir.resolve("jobs.yaml");
        Files.writeString(defs, """
                mapReduces:
                  - name: mp-tiles
                    part: io.tally.runner.MultiProcessJobs#part
                    reduce: io.tally.runner.MultiProcessJobs#reduce
                    maxAttempts: 5
                """);
        try (Tally tally = Tally.open(storeUrl);
                Runner publisher = Runner.builder(tally)
                        .definitions(defs)
                        .dispatcher(RedisStreamsDispatcher.builder(redisUrl).stream(stream)
                                .consume(false)
                                .build())
                        .build()) {
            List<Map<String, Object>> parts = new ArrayList<>();
            for (int i = 0; i < PARTS; i++) {
                parts.add(Map.of("n", i));
            }
            MapReduceJob job = publisher.mapReduce("mp-tiles", parts);
            // The victim hangs in its 51st part, holding the messages it claimed, until it is killed half-way.
            Process victim = startWorker(storeUrl, defs, "victim", "tally.test.stallAfter=50");
            startWorker(storeUrl, defs, "survivor");

            await().ignoreExceptions()
                    .atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> job.progress().succeeded() >= PARTS / 2);
            victim.destroyForcibly(); // SIGKILL: no shutdown hook, its pending entries stay with it
            victim.waitFor();
            long doneAtKill = job.progress().succeeded();

            await().ignoreExceptions()
                    .atMost(Duration.ofSeconds(180))
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
        }
    }

    private Process startWorker(String storeUrl, Path defs, String name, String... systemProperties) throws Exception {
        List<String> props =
                new ArrayList<>(List.of("tally.test.redis=" + redisUrl, "tally.test.reduceCounter=" + counter));
        props.addAll(List.of(systemProperties));
        Process p = WorkerProcesses.start(
                dir.resolve(name + ".log"),
                props,
                "--store",
                storeUrl,
                "--definitions",
                defs.toString(),
                "--redis",
                redisUrl,
                "--stream",
                stream,
                "--threads",
                "4",
                "--claim-idle",
                "PT2S");
        workers.add(p);
        return p;
    }
}
