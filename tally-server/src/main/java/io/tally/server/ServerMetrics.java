package io.tally.server;

import io.javalin.http.Context;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tally.micrometer.TallyMetrics;
import java.util.concurrent.TimeUnit;

/**
 * The server's Prometheus registry: request timings per route, event-stream clients and the JVM's memory and threads,
 * beside the job meters of {@link TallyMetrics} (jobs per state, and when the Tally was built with it, what this
 * process wrote and swept). One per server, closed with it.
 */
final class ServerMetrics implements AutoCloseable {
    private static final String START_ATTRIBUTE = "tally.start";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // Held here: the registry holds a binder's gauges' objects weakly.
    private final TallyMetrics jobMeters;

    /** @param jobMeters the job meters of the served Tally, bound to this registry */
    ServerMetrics(TallyMetrics jobMeters) {
        this.jobMeters = jobMeters;
        jobMeters.bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
    }

    /** Counts the connected event-stream clients of {@code hub} (the server holds it, as the gauge does not). */
    void watchEventClients(EventHub hub) {
        Gauge.builder("tally.sse.clients", hub, EventHub::clientCount)
                .description("connected event-stream clients")
                .register(registry);
    }

    /** A before-handler: notes when the request began, for {@link #recordTiming}. */
    static void startTiming(Context ctx) {
        ctx.attribute(START_ATTRIBUTE, System.nanoTime());
    }

    /** An after-handler: times the request under its route pattern (event streams excepted: they last for hours). */
    void recordTiming(Context ctx) {
        Long start = ctx.attribute(START_ATTRIBUTE);
        if (start == null || ctx.path().equals("/api/events")) {
            return;
        }
        String route = ctx.endpointHandlerPath();
        Timer.builder("tally.http.requests")
                .tag("method", ctx.method().name())
                .tag("route", route == null || route.isEmpty() || route.equals("*") ? "unmatched" : route)
                .tag("status", Integer.toString(ctx.statusCode()))
                .register(registry)
                .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }

    /** @return the Prometheus text exposition */
    String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        registry.close();
    }
}
