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
    }

    @Test
    void anUnknownSchemeIsInvalidInputNamingTheKnownOnes() {
        assertThatThrownBy(() -> Dispatchers.url("sqs://queue"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage(
                        "url: no dispatcher for 'sqs://': use redis://, rediss:// (Redis Streams), amqp://, amqps://"
                                + " (RabbitMQ) or nats:// (NATS JetStream)");
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
                .hasMessageContaining("--via is required: amqp://…, nats://… or redis://…");
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
