package io.tally.runner;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.tally.testing.TestServices;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

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

    @FunctionalInterface
    private interface ChannelCall<T> {
        T apply(Channel ch) throws Exception;
    }
}
