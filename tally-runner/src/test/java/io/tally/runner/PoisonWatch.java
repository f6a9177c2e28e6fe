package io.tally.runner;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A handler for the brokers' dead-letter tests: counts the messages it is asked to run and keeps, as {@link
 * Deliveries#reason} words it, what it was told of each message that was dead-lettered.
 */
final class PoisonWatch implements MessageHandler {
    final AtomicInteger runs = new AtomicInteger();
    final List<String> told = new CopyOnWriteArrayList<>();

    @Override
    public void handle(WorkMessage message) {
        runs.incrementAndGet();
    }

    @Override
    public void deadLettered(WorkMessage message, String place, Exception cause) {
        told.add(Deliveries.reason(message, place, cause));
    }
}
