package io.tally.server;

import io.javalin.http.Context;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tally.JobState;
import io.tally.SweepResult;
import io.tally.Tally;
import java.util.concurrent.TimeUnit;

/**
 * The server's Prometheus registry: request timings per route, jobs per state, swept jobs, event-stream clients and
 * the JVM's memory and threads. One per server, closed with it.
 */
final class ServerMetrics implements AutoCloseable {
    private static final String START_ATTRIBUTE = "tally.start";

    private final Tally tally;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter sweptJobs;

    ServerMetrics(Tally tally) {
        this.tally = tally;
        this.sweptJobs = Counter.builder("tally.sweep.jobs")
                .description("jobs failed or deleted by the sweeper")
                .register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        for (JobState st : JobState.values()) {
            // A gauge holds its object weakly: this, which the server holds, not a lambda's capture.
            Gauge.builder("tally.jobs", this, m -> m.countOf(st))
                    .tag("state", st.name())
                    .description("jobs in each state")
                    .register(registry);
        }
    }

    /** Counts the connected event-stream clients of {@code hub} (the server holds it, as the gauge does not). */
    void watchEventClients(EventHub hub) {
        Gauge.builder("tally.sse.clients", hub, EventHub::clientCount)
                .description("connected event-stream clients")
                .register(registry);
    }

    void countSwept(SweepResult r) {
        sweptJobs.increment(r.total());
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

    private double countOf(JobState st) {
        try {
            return tally.stats().getOrDefault(st, 0L);
        } catch (RuntimeException e) {
            // A scrape during a store outage shows a gap, not an error page.
            return Double.NaN;
        }
    }

    @Override
    public void close() {
        registry.close();
    }
}
