package io.tally.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.tally.JobState;
import io.tally.Tally;
import io.tally.runner.Dispatchers;
import io.tally.runner.MapReduceJob;
import io.tally.runner.Runner;
import io.tally.testing.TestServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;

/**
 * {@code tally worker --via amqp://…}, {@code --via nats://…} and {@code --via sqs://…}: two worker processes of the CLI (its main class on
 * this test's class path, as the shaded jar would run it) share a map-reduce job's parts on a SQLite file, the names of
 * the queue and stream passed through the CLI's options.
 */
class WorkerViaBrokersIT {
    private static final int PARTS = 200;

    @TempDir
    Path dir;

    private final String run =
            "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    private final List<Process> workers = new ArrayList<>();
    private final List<ThrowingRunnable> cleanups = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        workers.forEach(Process::destroyForcibly);
        for (Process p : workers) {
            p.waitFor();
        }
        for (ThrowingRunnable c : cleanups) {
            c.run();
        }
    }

    @Test
    void twoCliWorkersShareAJobThroughRabbitMq() throws Exception {
        String url = TestServices.rabbitMqUrl();
        String queue = "tally-cli-test." + run;
        cleanups.add(() -> {
            ConnectionFactory f = new ConnectionFactory();
            f.setUri(url);
            try (Connection c = f.newConnection("tally-test");
                    Channel ch = c.createChannel()) {
                ch.queueDelete(queue);
                ch.queueDelete(queue + ".dead");
            }
        });
        twoWorkersShareAJob(url, Dispatchers.url(url).queue(queue), List.of("--queue", queue));
    }

    @Test
    void twoCliWorkersShareAJobThroughNats() throws Exception {
        String url = TestServices.natsUrl();
        String stream = "TALLY_CLI_TEST_" + run;
        String subject = "tally-cli-test." + run;
        cleanups.add(() -> {
            try (io.nats.client.Connection c = Nats.connect(url)) {
                JetStreamManagement jsm = c.jetStreamManagement();
                for (String s : List.of(stream, stream + "_DEAD")) {
                    try {
                        jsm.deleteStream(s);
                    } catch (JetStreamApiException missing) {
                        // never created
                    }
                }
            }
        });
        twoWorkersShareAJob(
                url,
                Dispatchers.url(url).queue(subject).stream(stream),
                List.of("--queue", subject, "--stream", stream, "--redeliver-after", "PT5S"));
    }

    @Test
    void twoCliWorkersShareAJobThroughSqs() throws Exception {
        String url = TestServices.sqsUrl();
        String queue = "tally-cli-test-" + run;
        cleanups.add(() -> {
            java.net.URI u = java.net.URI.create(url);
            try (SqsClient sqs = SqsClient.builder()
                    .httpClient(UrlConnectionHttpClient.create())
                    .endpointOverride(java.net.URI.create("http://" + u.getHost() + ":" + u.getPort()))
                    .region(Region.US_EAST_1)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("tally", "local")))
                    .build()) {
                for (String q : List.of(queue, queue + "-dead")) {
                    try {
                        sqs.deleteQueue(r ->
                                r.queueUrl(sqs.getQueueUrl(g -> g.queueName(q)).queueUrl()));
                    } catch (QueueDoesNotExistException missing) {
                        // never created
                    }
                }
            }
        });
        twoWorkersShareAJob(
                url, Dispatchers.url(url).queue(queue), List.of("--queue", queue, "--redeliver-after", "PT5S"));
    }

    private void twoWorkersShareAJob(String url, Dispatchers.Builder publisher, List<String> names) throws Exception {
        Path defs = dir.resolve("jobs.yaml");
        Files.writeString(defs, """
                mapReduces:
                  - name: cli-tiles
                    part: io.tally.cli.BrokerJobs#part
                    reduce: io.tally.cli.BrokerJobs#reduce
                """);
        String store = "sqlite:" + dir.resolve("tally.db");
        try (Tally tally = Tally.open(store);
                Runner runner = Runner.builder(tally)
                        .definitions(defs)
                        .dispatcher(publisher.consume(false).open())
                        .build()) {
            List<Map<String, Object>> parts = new ArrayList<>();
            for (int i = 0; i < PARTS; i++) {
                parts.add(Map.of("n", i));
            }
            MapReduceJob job = runner.mapReduce("cli-tiles", parts);
            startWorker(store, defs, url, names, "a");
            startWorker(store, defs, url, names, "b");

            await().ignoreExceptions()
                    .atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> job.state().isTerminal());

            assertThat(job.state()).as(log("a") + log("b")).isEqualTo(JobState.SUCCEEDED);
            @SuppressWarnings("unchecked")
            Map<String, Number> result = job.result(Map.class).orElseThrow();
            assertThat(result.get("count").longValue()).isEqualTo(PARTS);
            assertThat(result.get("sum").longValue()).isEqualTo((long) PARTS * (PARTS - 1));
            assertThat(result.get("workers").longValue())
                    .as("parts ran in worker processes")
                    .isBetween(1L, 2L);
        }
    }

    private void startWorker(String store, Path defs, String url, List<String> names, String name) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-XX:TieredStopAtLevel=1",
                "-Dslf4j.provider=io.tally.cli.CliLogProvider",
                "-cp",
                System.getProperty("java.class.path"),
                TallyCli.class.getName(),
                "worker",
                "--store",
                store,
                "--definitions",
                defs.toString(),
                "--via",
                url,
                "--threads",
                "4"));
        cmd.addAll(names);
        workers.add(new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile())
                .start());
    }

    private String log(String name) {
        try {
            return name + ": " + Files.readString(dir.resolve(name + ".log")) + "\n";
        } catch (java.io.IOException e) {
            return name + ": " + e + "\n";
        }
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }
}
