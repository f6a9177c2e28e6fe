package io.tally.runner;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Delivery;
import io.tally.InvalidInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link RabbitMqDispatcher}'s work on amqp-client, in a class of its own so that the public class loads without
 * amqp-client and can say which artifact is missing. How it works is told on {@link RabbitMqDispatcher}.
 */
final class RabbitMq implements Dispatcher {
    private static final Logger log = LoggerFactory.getLogger(RabbitMqDispatcher.class);
    private static final long CONFIRM_TIMEOUT_MS = 10_000;
    private static final AMQP.BasicProperties PERSISTENT = new AMQP.BasicProperties.Builder()
            .contentType("application/json")
            .deliveryMode(2)
            .build();

    private final Connection connection;
    private final Channel publisher;
    private final String queue;
    private final String deadQueue;
    private final int threads;
    private final int maxDeliveries;
    private final boolean consume;
    private final Object consumerLock = new Object();
    // The broker's basic.return of the message being published (mandatory, unroutable), which comes before its ack.
    private final AtomicReference<String> returned = new AtomicReference<>();
    private Channel consumer;
    private String consumerTag;
    private ExecutorService workers;
    private volatile boolean closed;

    RabbitMq(RabbitMqDispatcher.Builder b) {
        this.queue = b.queue();
        this.deadQueue = b.deadLetterQueue();
        this.threads = b.threads();
        this.maxDeliveries = b.maxDeliveries();
        this.consume = b.consume();
        ConnectionFactory factory = new ConnectionFactory();
        try {
            factory.setUri(b.url());
        } catch (Exception e) {
            throw new InvalidInputException("amqpUrl", "not an AMQP URL: " + e.getMessage());
        }
        factory.setAutomaticRecoveryEnabled(true);
        try {
            this.connection = factory.newConnection("tally-" + queue);
        } catch (IOException | TimeoutException e) {
            throw new DispatchException("cannot connect to RabbitMQ for queue " + queue + ": " + e, e);
        }
        try {
            this.publisher = connection.createChannel();
            publisher.confirmSelect();
            publisher.addReturnListener(r -> returned.set(r.getReplyCode() + " " + r.getReplyText()));
            publisher.queueDeclare(deadQueue, true, false, false, Map.of());
            publisher.queueDeclare(
                    queue,
                    true,
                    false,
                    false,
                    Map.of(
                            "x-queue-type", "quorum",
                            "x-dead-letter-exchange", "",
                            "x-dead-letter-routing-key", deadQueue));
        } catch (IOException | RuntimeException e) {
            closeQuietly();
            throw new DispatchException("cannot declare queues " + queue + " and " + deadQueue + ": " + e, e);
        }
    }

    @Override
    public void publish(WorkMessage message) {
        if (closed) {
            throw new DispatchException("dispatcher is closed; cannot publish " + message);
        }
        byte[] body = message.toJson().getBytes(StandardCharsets.UTF_8);
        synchronized (publisher) {
            try {
                returned.set(null);
                // Mandatory: a message no queue takes (the queue was deleted) is returned, not confirmed and dropped.
                publisher.basicPublish("", queue, true, PERSISTENT, body);
                if (!publisher.waitForConfirms(CONFIRM_TIMEOUT_MS)) {
                    throw new DispatchException("RabbitMQ refused (nack) " + message + " on queue " + queue);
                }
                String why = returned.get();
                if (why != null) {
                    throw new DispatchException(
                            "RabbitMQ returned " + message + " unroutable (" + why + "): is queue " + queue + " gone?");
                }
            } catch (TimeoutException e) {
                throw new DispatchException("no confirmation from RabbitMQ within 10 s for " + message, e);
            } catch (IOException | RuntimeException e) {
                if (e instanceof DispatchException d) {
                    throw d;
                }
                throw new DispatchException("publishing " + message + " to " + queue + " failed: " + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DispatchException("interrupted waiting for the confirmation of " + message, e);
            }
        }
    }

    @Override
    public synchronized void start(MessageHandler handler) {
        if (handler == null) {
            throw new InvalidInputException("handler", "must not be null");
        }
        if (!consume || consumer != null) {
            return;
        }
        workers = Executors.newFixedThreadPool(threads, Runner.daemon("tally-amqp-worker"));
        try {
            consumer = connection.createChannel();
            consumer.basicQos(threads); // never more unacknowledged messages than threads to run them
            consumerTag = consumer.basicConsume(
                    queue,
                    false,
                    (tag, delivery) -> workers.execute(() -> process(handler, delivery)),
                    tag -> log.warn("consumer of {} cancelled by the broker", queue));
        } catch (IOException e) {
            throw new DispatchException("cannot consume from " + queue + ": " + e, e);
        }
    }

    private void process(MessageHandler handler, Delivery delivery) {
        long tag = delivery.getEnvelope().getDeliveryTag();
        WorkMessage message;
        try {
            message = WorkMessage.fromJson(new String(delivery.getBody(), StandardCharsets.UTF_8));
        } catch (RuntimeException malformed) {
            log.error("dead-lettering a malformed message of {}: {}", queue, malformed.toString());
            settle(tag, false, false);
            return;
        }
        // attempt counts the handler's failures (each re-published the message); x-delivery-count the returns of this
        // copy to the queue (its worker died or closed while holding it).
        Object returns = delivery.getProperties().getHeaders() == null
                ? null
                : delivery.getProperties().getHeaders().get("x-delivery-count");
        WorkMessage m = message.withAttempt(message.attempt() + (returns instanceof Number n ? n.intValue() : 0));
        Deliveries.Outcome o = Deliveries.deliver(handler, m, maxDeliveries);
        switch (o.verdict()) {
            case ACK -> settle(tag, true, false);
            case RETRY -> {
                try {
                    publish(m.redelivery());
                } catch (DispatchException e) {
                    log.warn("cannot re-publish {}; returning it to the queue: {}", m, e.getMessage());
                    settle(tag, false, true);
                    return;
                }
                settle(tag, true, false);
            }
            case DEAD_LETTER -> {
                if (settle(tag, false, false)) {
                    Deliveries.deadLettered(handler, m, "queue '" + deadQueue + "'", o.cause());
                }
            }
        }
    }

    /** Acks, or rejects (requeue: back to the queue; else to the dead-letter queue). @return whether it was sent */
    private boolean settle(long tag, boolean ack, boolean requeue) {
        synchronized (consumerLock) {
            try {
                if (ack) {
                    consumer.basicAck(tag, false);
                } else {
                    consumer.basicReject(tag, requeue);
                }
                return true;
            } catch (IOException | RuntimeException e) {
                // The channel is gone: the broker returns the message to the queue, which the runner makes harmless.
                log.warn("settling delivery {} of {} failed: {}", tag, queue, e.toString());
                return false;
            }
        }
    }

    /** Stops consuming, waits briefly for running messages, closes the connection. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (consumer != null && consumerTag != null) {
                try {
                    consumer.basicCancel(consumerTag);
                } catch (IOException | RuntimeException e) {
                    log.debug("cancelling the consumer of {}: {}", queue, e.toString());
                }
            }
            if (workers != null) {
                workers.shutdown();
                workers.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly();
        }
    }

    private void closeQuietly() {
        try {
            connection.close(2000);
        } catch (IOException | RuntimeException e) {
            log.debug("closing the RabbitMQ connection: {}", e.toString());
        }
    }
}
