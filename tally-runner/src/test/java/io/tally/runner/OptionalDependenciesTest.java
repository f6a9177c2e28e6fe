package io.tally.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.Tally;
import io.tally.TallyException;
import io.tally.store.LogEntry;
import io.tally.testing.ClassPathWithout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What a user gets when one of the runner's optional dependencies is missing: each case runs on the test class path
 * without the dependency's jars ({@link ClassPathWithout}), as a fresh application would.
 */
class OptionalDependenciesTest {

    /** Reads a YAML definitions file and answers the runner's message. */
    public static class ReadYaml implements Callable<String> {
        @Override
        public String call() throws Exception {
            Path file = Files.createTempFile("jobs", ".yaml");
            try (Tally tally = Tally.open("memory:")) {
                Files.writeString(file, "definitions: []\n");
                Runner.builder(tally).definitions(file).build().close();
                return "read";
            } catch (TallyException e) {
                return e.getClass().getSimpleName() + ": " + e.getMessage();
            } finally {
                Files.delete(file);
            }
        }
    }

    /** Reads the same definitions written as JSON. */
    public static class ReadJson implements Callable<String> {
        @Override
        public String call() throws Exception {
            Path file = Files.createTempFile("jobs", ".json");
            try (Tally tally = Tally.open("memory:")) {
                Files.writeString(file, "{\"definitions\": []}");
                Runner.builder(tally).definitions(file).build().close();
                return "read";
            } finally {
                Files.delete(file);
            }
        }
    }

    /** Runs a build that logs through ctx.log() and through a plain SLF4J logger. */
    public static class BuildWithLogs implements Callable<String> {
        @Override
        public String call() {
            try (Tally tally = Tally.open("memory:");
                    Runner runner = Runner.builder(tally)
                            .define("b", ctx -> {
                                ctx.log().info("through ctx.log()");
                                org.slf4j.LoggerFactory.getLogger("com.example.App")
                                        .warn("through a plain SLF4J logger");
                                return 1;
                            })
                            .build()) {
                Build b = runner.build("b").await();
                return "capturing=" + runner.capturingLogs() + " state=" + b.state() + " logs="
                        + b.logs().stream().map(LogEntry::message).collect(Collectors.toList());
            }
        }
    }

    /** Builds a Redis Streams dispatcher and answers what happened. */
    public static class BuildRedisDispatcher implements Callable<String> {
        @Override
        public String call() {
            try (RedisStreamsDispatcher d =
                    RedisStreamsDispatcher.builder("redis://127.0.0.1:1").build()) {
                return "built";
            } catch (RuntimeException | LinkageError e) {
                return e.getClass().getSimpleName() + ": " + e.getMessage();
            }
        }
    }

    /** Opens a RabbitMQ dispatcher by its URL and answers what happened. */
    public static class OpenRabbitMqDispatcher implements Callable<String> {
        @Override
        public String call() {
            try (Dispatcher d =
                    Dispatchers.url("amqp://guest:guest@127.0.0.1:1").open()) {
                return "opened";
            } catch (RuntimeException | LinkageError e) {
                return e.getClass().getSimpleName() + ": " + e.getMessage();
            }
        }
    }

    /** Opens a NATS dispatcher by its URL and answers what happened. */
    public static class OpenNatsDispatcher implements Callable<String> {
        @Override
        public String call() {
            try (Dispatcher d = Dispatchers.url("nats://127.0.0.1:1").open()) {
                return "opened";
            } catch (RuntimeException | LinkageError e) {
                return e.getClass().getSimpleName() + ": " + e.getMessage();
            }
        }
    }

    /** Opens an SQS dispatcher by its URL and answers what happened. */
    public static class OpenSqsDispatcher implements Callable<String> {
        @Override
        public String call() {
            try (Dispatcher d = Dispatchers.url("sqs://127.0.0.1:1").open()) {
                return "opened";
            } catch (RuntimeException | LinkageError e) {
                return e.getClass().getSimpleName() + ": " + e.getMessage();
            }
        }
    }

    @Test
    void anSqsDispatcherWithoutTheSdksSqsClientNamesTheArtifactToAdd() throws Exception {
        assertThat(ClassPathWithout.artifacts("sqs").call(OpenSqsDispatcher.class))
                .isEqualTo(
                        "IllegalStateException: the SQS dispatcher needs software.amazon.awssdk.services.sqs.SqsClient,"
                                + " which is not on the class path: add the Maven artifact software.amazon.awssdk:sqs");
        assertThat(ClassPathWithout.artifacts("url-connection-client").call(OpenSqsDispatcher.class))
                .isEqualTo("IllegalStateException: the SQS dispatcher needs"
                        + " software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient, which is not on the"
                        + " class path: add the Maven artifact software.amazon.awssdk:url-connection-client");
    }

    @Test
    void aRabbitMqDispatcherWithoutAmqpClientNamesTheArtifactToAdd() throws Exception {
        assertThat(ClassPathWithout.artifacts("amqp-client").call(OpenRabbitMqDispatcher.class))
                .isEqualTo("IllegalStateException: the RabbitMQ dispatcher needs com.rabbitmq.client.ConnectionFactory,"
                        + " which is not on the class path: add the Maven artifact com.rabbitmq:amqp-client");
    }

    @Test
    void aNatsDispatcherWithoutJnatsNamesTheArtifactToAdd() throws Exception {
        assertThat(ClassPathWithout.artifacts("jnats").call(OpenNatsDispatcher.class))
                .isEqualTo("IllegalStateException: the NATS dispatcher needs io.nats.client.Nats, which is not on the"
                        + " class path: add the Maven artifact io.nats:jnats");
    }

    @Test
    void aRedisStreamsDispatcherWithoutLettuceNamesTheArtifactToAdd() throws Exception {
        String answer = ClassPathWithout.artifacts("lettuce-core").call(BuildRedisDispatcher.class);

        assertThat(answer)
                .isEqualTo(
                        "IllegalStateException: the Redis Streams dispatcher needs io.lettuce.core.RedisClient, which"
                                + " is not on the class path: add the Maven artifact io.lettuce:lettuce-core");
    }

    @Test
    void aYamlFileWithoutTheYamlReaderNamesTheArtifactToAdd() throws Exception {
        String answer = ClassPathWithout.artifacts("jackson-dataformat-yaml", "snakeyaml")
                .call(ReadYaml.class);

        assertThat(answer)
                .isEqualTo("InvalidInputException: definitions: reading a YAML definitions file needs"
                        + " com.fasterxml.jackson.dataformat.yaml.YAMLFactory, which is not on the class path: add the"
                        + " Maven artifact com.fasterxml.jackson.dataformat:jackson-dataformat-yaml, or write the file"
                        + " as JSON");
    }

    @Test
    void aJsonFileNeedsNoYamlReader() throws Exception {
        assertThat(ClassPathWithout.artifacts("jackson-dataformat-yaml", "snakeyaml")
                        .call(ReadJson.class))
                .isEqualTo("read");
    }

    @Test
    void withoutLogbackABuildKeepsItsCtxLogRecords() throws Exception {
        String answer =
                ClassPathWithout.artifacts("logback-classic", "logback-core").call(BuildWithLogs.class);

        assertThat(answer).isEqualTo("capturing=false state=SUCCEEDED logs=[through ctx.log()]");
    }

    @Test
    void withLogbackABuildAlsoKeepsItsSlf4jLogging() throws Exception {
        assertThat(new BuildWithLogs().call())
                .isEqualTo("capturing=true state=SUCCEEDED logs=[through ctx.log(), through a plain SLF4J logger]");
    }
}
