package io.tally.runner;

/**
 * What {@link RabbitMqDispatcher}, {@link NatsDispatcher} and {@link SqsDispatcher} are at run time: a public face
 * over the transport their builder made ({@code RabbitMq}, {@code NatsJetStream}, {@code Sqs}). The faces hold no
 * broker types, so the runner's classes load without the broker's optional client library until a builder checks it
 * and builds.
 */
abstract class BrokerDispatcher implements Dispatcher {
    private final Dispatcher transport;

    BrokerDispatcher(Dispatcher transport) {
        this.transport = transport;
    }

    @Override
    public final void start(MessageHandler handler) {
        transport.start(handler);
    }

    @Override
    public final void publish(WorkMessage message) {
        transport.publish(message);
    }

    /**
     * Stops receiving, waits briefly for the messages running, closes the connection; messages not acknowledged are
     * delivered again (to this worker's peers, or to the next worker).
     */
    @Override
    public final void close() {
        transport.close();
    }
}
