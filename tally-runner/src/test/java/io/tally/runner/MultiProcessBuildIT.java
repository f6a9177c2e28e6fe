package io.tally.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.api.StatefulRedisConnection;
import io.tally.FailureReason;
import io.tally.JobState;
import io.tally.Tally;
import io.tally.store.LogEntry;
import io.tally.testing.TestServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds run by two worker processes on a Redis store: claimed once each, results flowing between processes; a worker
 * killed mid-build leaves a build the sweeper fails as stalled, and the build can then be run again.
 */
class MultiProcessBuildIT {
    @TempDir
    Path dir; // the definitions file; worker output goes to target/worker-<namespace>-<name>.log

    private String redisUrl;
    private String stream;
    private String storeUrl;
    private String namespace;
    private RedisClient client;
    private StatefulRedisConnection<String, String> redis;
    private final List<Process> workers = new ArrayList<>();
    private Path defs;

    @BeforeEach
    void setUp() throws Exception {
        redisUrl = TestServices.redisUrl();
        String run = UUID.randomUUID().toString();
        stream = "tally-test:builds:" + run;
        namespace = "mpb" + run.replace("-", "").substring(0, 12);
        storeUrl = redisUrl + (redisUrl.contains("?") ? "&" : "?") + "namespace=" + namespace;
        client = RedisClient.create(redisUrl);
        redis = client.connect();
        defs = dir.resolve("jobs.yaml");
        Files.writeString(defs, """
                definitions:
                  - id: A
                    function: io.tally.runner.MultiProcessJobs#a
                  - id: B
                    function: io.tally.runner.MultiProcessJobs#b
                    dependsOn: [A]
                  - id: C
                    function: io.tally.runner.MultiProcessJobs#c
                    dependsOn: [B]
                  - id: slow
                    function: io.tally.runner.MultiProcessJobs#slow
                    params: {hang: false}
                """);
        workers.add(startWorker("w1"));
        workers.add(startWorker("w2"));
    }

    @AfterEach
    void cleanUp() throws Exception {
        workers.forEach(Process::destroyForcibly);
        for (Process p : workers) {
            p.waitFor();
        }
        if (redis != null) {
            ScanIterator<String> keys = ScanIterator.scan(
                    redis.sync(),
                    ScanArgs.Builder.matches("{" + namespace + "}*").limit(1000));
            while (keys.hasNext()) {
                redis.sync().del(keys.next());
            }
            redis.sync().del(stream);
            redis.close();
            client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        }
    }

    private Runner requester(Tally tally) {
        return Runner.builder(tally)
                .definitions(defs)
                .dispatchBuilds(true)
                .heartbeat(Duration.ofSeconds(2))
                .dispatcher(RedisStreamsDispatcher.builder(redisUrl).stream(stream)
                        .consume(false)
                        .build())
                .build();
    }

    @Test
    void workersBuildTheChainAndResultsFlowBetweenProcesses() {
        try (Tally tally = Tally.open(storeUrl);
                Runner runner = requester(tally)) {
            Build c = runner.build("C", BuildOptions.defaults().buildDependencies(true));
            assertThat(c.await(Duration.ofSeconds(120))).isTrue();
            assertThat(c.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(c.result(Integer.class)).contains(123);
            for (String d : List.of("A", "B", "C")) {
                Build b = runner.latestSuccessfulBuild(d).orElseThrow();
                assertThat(b.logs())
                        .as(d + " ran in a worker process")
                        .anySatisfy(l -> assertThat(l.message())
                                .startsWith("running on pid ")
                                .isNotEqualTo("running on pid "
                                        + ProcessHandle.current().pid()));
                assertThat(runner.builds(d, 10)).as("built once").hasSize(1);
            }
            assertThat(runner.outdated()).isEmpty();
        }
    }

    @Test
    void aWorkerKilledMidBuildLeavesAStalledBuildThatCanBeBuiltAgain() {
        try (Tally tally = Tally.open(storeUrl);
                Runner runner = requester(tally)) {
            Build hung = runner.build("slow", BuildOptions.defaults().params(Map.of("hang", true)));
            long pid = await().ignoreExceptions()
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> startedOn(hung.logs()), Optional::isPresent)
                    .orElseThrow();
            Process victim =
                    workers.stream().filter(p -> p.pid() == pid).findFirst().orElseThrow();
            victim.destroyForcibly(); // SIGKILL mid-build

            await().ignoreExceptions()
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> {
                        tally.sweep(); // the server's sweeper, run by hand
                        return hung.state().isTerminal();
                    });
            assertThat(hung.error())
                    .hasValueSatisfying(e -> assertThat(e.reason()).isEqualTo(FailureReason.STALLED));
            assertThat(hung.await(Duration.ofSeconds(10))).isTrue();
            assertThat(runner.status("slow")).isEqualTo(BuildStatus.FAILED);

            Build retry = runner.build("slow");
            assertThat(retry.await(Duration.ofSeconds(60))).isTrue();
            assertThat(retry.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(runner.status("slow")).isEqualTo(BuildStatus.SUCCEEDED);
        }
    }

    private static Optional<Long> startedOn(List<LogEntry> logs) {
        return logs.stream()
                .filter(l -> l.message().startsWith("started on pid "))
                .map(l -> Long.parseLong(l.message().substring("started on pid ".length())))
                .findFirst();
    }

    private Process startWorker(String name) throws Exception {
        return WorkerProcesses.start(
                Path.of("target", "worker-" + namespace + "-" + name + ".log"),
                List.of(),
                "--store",
                storeUrl,
                "--definitions",
                defs.toString(),
                "--redis",
                redisUrl,
                "--stream",
                stream,
                "--threads",
                "2",
                "--heartbeat",
                "PT2S",
                "--claim-idle",
                "PT2S");
    }
}
