package io.tally.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.InvalidInputException;
import io.tally.Tally;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Selecting a dispatcher by URL, and the settings each transport has; nothing here connects. */
class DispatchersTest {
    @Test
    void theSchemeNamesTheTransport() {
        assertThat(Dispatchers.kindOf("redis://127.0.0.1:6379")).isEqualTo(Dispatchers.Kind.REDIS);
        assertThat(Dispatchers.kindOf("rediss://h:6380/1")).isEqualTo(Dispatchers.Kind.REDIS);
        assertThat(Dispatchers.kindOf("amqp://guest:guest@127.0.0.1:5672")).isEqualTo(Dispatchers.Kind.RABBITMQ);
        assertThat(Dispatchers.kindOf("AMQPS://h/vhost")).isEqualTo(Dispatchers.Kind.RABBITMQ);
        assertThat(Dispatchers.kindOf("nats://127.0.0.1:4222")).isEqualTo(Dispatchers.Kind.NATS);
        assertThat(Dispatchers.kindOf("sqs://127.0.0.1:9324?region=us-east-1")).isEqualTo(Dispatchers.Kind.SQS);
        assertThat(Dispatchers.kindOf("sqs:?region=eu-west-1&queue=tiles")).isEqualTo(Dispatchers.Kind.SQS);
        assertThat(Dispatchers.kindOf("SQS:")).isEqualTo(Dispatchers.Kind.SQS);
    }

    @Test
    void anUnknownSchemeIsInvalidInputNamingTheKnownOnes() {
        assertThatThrownBy(() -> Dispatchers.url("sns://topic"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage(
                        "url: no dispatcher for 'sns://': use redis://, rediss:// (Redis Streams), amqp://, amqps://"
                                + " (RabbitMQ), nats:// (NATS JetStream) or sqs://, sqs: (Amazon SQS)");
        assertThatThrownBy(() -> Dispatchers.url("127.0.0.1:5672")).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> Dispatchers.url(" ")).isInstanceOf(InvalidInputException.class);
        try (Tally tally = Tally.open("memory:")) {
            assertThatThrownBy(() -> Runner.builder(tally).dispatcher("kafka://h:9092"))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("no dispatcher for 'kafka://'");
        }
    }

    @Test
    void aSettingTheTransportHasNotIsRefusedNotIgnored() {
        Dispatchers.Builder rabbit = Dispatchers.url("amqp://127.0.0.1:1");
        assertThatThrownBy(() -> rabbit.group("g"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("RabbitMQ has no consumer group");
        assertThatThrownBy(() -> rabbit.redeliverAfter(Duration.ofSeconds(5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("RabbitMQ has no redelivery delay");
        assertThatThrownBy(() -> rabbit.stream("s")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sqsTakesItsQueueAndVisibilityTimeoutAndRefusesStreamsAndGroups() {
        Dispatchers.Builder sqs = Dispatchers.url("sqs://127.0.0.1:1?region=us-east-1&queue=tiles");
        assertThatThrownBy(() -> sqs.group("g"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SQS has no consumer group");
        assertThatThrownBy(() -> sqs.stream("s"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SQS has no stream");
        assertThatThrownBy(() -> sqs.queue("tiles.fifo"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("queue must be 1–75 letters, digits, '-' or '_' (an SQS standard queue's name), was"
                        + " 'tiles.fifo'");
        assertThatThrownBy(() -> sqs.redeliverAfter(Duration.ofMillis(10)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("visibilityTimeout must be at least PT1S, was PT0.01S");
        assertThatThrownBy(() -> sqs.maxDeliveries(1000)).isInstanceOf(IllegalArgumentException.class);
        sqs.queue("tiles_2").redeliverAfter(Duration.ofSeconds(3)).threads(2).maxDeliveries(3);
    }

    @Test
    void anSqsUrlIsAHostAndPortOrNoneAndKnowsItsParameters() {
        SqsDispatcher.Builder local = SqsDispatcher.builder("sqs://127.0.0.1:9324?region=eu-west-1&queue=tiles");
        assertThat(local.endpoint()).isEqualTo("127.0.0.1:9324");
        assertThat(local.region()).isEqualTo("eu-west-1");
        assertThat(local.queue()).isEqualTo("tiles");
        SqsDispatcher.Builder aws = SqsDispatcher.builder("sqs:");
        assertThat(aws.endpoint()).isNull();
        assertThat(aws.region()).isNull();
        assertThat(aws.queue()).isEqualTo("tally-work");
        assertThatThrownBy(() -> Dispatchers.url("sqs://queue"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("must be sqs://HOST:PORT?region=…&queue=… (a local server) or sqs:?region=…"
                        + "&queue=… (AWS)");
        assertThatThrownBy(() -> Dispatchers.url("sqs:?region=us-east-1&table=x"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("unknown parameter table (known: region, queue)");
        assertThatThrownBy(() -> Dispatchers.url("sqs:?queue=a.b"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("queue must be 1–75 letters");
    }

    @Test
    void badValuesAreRefusedWhereTheyAreSet() {
        Dispatchers.Builder nats = Dispatchers.url("nats://127.0.0.1:1");
        assertThatThrownBy(() -> nats.stream("a.b"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("stream may not hold '.', '*', '>', '/' or white space, was 'a.b'");
        assertThatThrownBy(() -> nats.redeliverAfter(Duration.ofMillis(10)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("ackWait must be at least PT1S, was PT0.01S");
        assertThatThrownBy(() -> nats.maxDeliveries(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Dispatchers.url("redis://127.0.0.1:1").redeliverAfter(Duration.ofMillis(1)))
                .hasMessage("claimIdle must be at least 100 ms, was PT0.001S");
        assertThatThrownBy(() -> Dispatchers.url("amqp://127.0.0.1:1").threads(0))
                .hasMessage("threads must be at least 1, was 0");
    }

    @Test
    void theWorkerAnswersItsOptionsAsInput() {
        assertThatThrownBy(() -> Worker.main(new String[] {"--store", "memory:", "--definitions", "x.yaml"}))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("--via is required: amqp://…, nats://…, sqs://… or redis://…");
        assertThatThrownBy(() -> Worker.main(new String[] {"--store", "memory:", "--via", "sqs://q"}))
                .isInstanceOf(InvalidInputException.class)
                .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo("--via"));
        assertThatThrownBy(() ->
                        Worker.main(new String[] {"--store", "memory:", "--via", "amqp://127.0.0.1:1", "--group", "g"}))
                .isInstanceOf(InvalidInputException.class)
                .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo("--group"));
        assertThatThrownBy(() -> Worker.main(
                        new String[] {"--store", "memory:", "--via", "nats://127.0.0.1:1", "--max-deliveries", "0"}))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("--max-deliveries: maxDeliveries must be at least 1, was 0");
    }
}
