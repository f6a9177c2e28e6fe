package io.tally.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.tally.testing.TestServices;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link BrokerWorkers} through RabbitMQ: {@link RabbitMqDispatcher} on a quorum queue of this test's own. */
class RabbitMqDispatcherIT extends BrokerWorkers {
    private String queue() {
        return "tally-test." + run;
    }

    private String deadQueue() {
        return queue() + ".dead";
    }

    @Override
    String url() {
        return TestServices.rabbitMqUrl();
    }

    @Override
    List<String> transportArgs() {
        return List.of("--queue", queue());
    }

    @Override
    Dispatcher publisher() {
        return RabbitMqDispatcher.builder(url()).queue(queue()).consume(false).build();
    }

    private <T> T withChannel(ChannelCall<T> call) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(url());
        try (Connection c = f.newConnection("tally-test");
                Channel ch = c.createChannel()) {
            return call.apply(ch);
        }
    }

    @Override
    long waiting() throws Exception {
        return withChannel(ch -> (long) ch.queueDeclarePassive(queue()).getMessageCount());
    }

    @Override
    List<WorkMessage> deadLetters() throws Exception {
        // Read without acknowledging: closing the channel puts them back, so the queue keeps them.
        return withChannel(ch -> {
            List<WorkMessage> out = new ArrayList<>();
            for (GetResponse r; (r = ch.basicGet(deadQueue(), false)) != null; ) {
                out.add(WorkMessage.fromJson(new String(r.getBody(), StandardCharsets.UTF_8)));
            }
            return out;
        });
    }

    @Override
    void deleteQueues() throws Exception {
        withChannel(ch -> {
            ch.queueDelete(queue());
            ch.queueDelete(deadQueue());
            return null;
        });
    }

    @Test
    void aMessageWhoseWorkersKeepDyingIsDeadLetteredWithoutRunning() throws Exception {
        try (Dispatcher publishing = publisher()) {
            publishing.publish(WorkMessage.map("tiles", "job-1", 4));
        }
        // Three workers take the message and die (their channel closes unacknowledged): the quorum queue counts it.
        for (int i = 0; i < 3; i++) {
            GetResponse taken = withChannel(ch -> ch.basicGet(queue(), false));
            assertThat(taken).isNotNull();
        }
        PoisonWatch watch = new PoisonWatch();
        try (Dispatcher d = RabbitMqDispatcher.builder(url())
                .queue(queue())
                .maxDeliveries(3)
                .threads(1)
                .build()) {
            d.start(watch);
            await().atMost(Duration.ofSeconds(10)).until(() -> !watch.told.isEmpty());
        }
        assertThat(watch.runs).hasValue(0);
        assertThat(watch.told)
                .containsExactly("part 4 of tiles job job-1 was dead-lettered to queue '" + deadQueue() + "' after 4"
                        + " deliveries: part 4 of tiles job job-1 was delivered 4 times without an answer (its workers"
                        + " died?); limit 3");
        assertThat(deadLetters()).extracting(WorkMessage::part).containsExactly(4);
    }

    @Test
    void aMessageNoQueueTakesIsAPublishErrorNotALoss() throws Exception {
        try (Dispatcher publishing = publisher()) {
            withChannel(ch -> ch.queueDelete(queue())); // e.g. deleted by an operator while the runner publishes

            assertThatThrownBy(() -> publishing.publish(WorkMessage.map("tiles", "job-1", 0)))
                    .isInstanceOf(DispatchException.class)
                    .hasMessageContaining("returned")
                    .hasMessageContaining("NO_ROUTE")
                    .hasMessageContaining("is queue " + queue() + " gone?");
        }
    }

    @FunctionalInterface
    private interface ChannelCall<T> {
        T apply(Channel ch) throws Exception;
    }
}
