package io.tally.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.tally.StoreUnavailableException;
import io.tally.Tally;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes about the server and store as a whole: {@code GET /health}, {@code GET /metrics}, {@code GET /api/stats}
 * and {@code POST /api/sweep}.
 */
final class OperationsRoutes implements RouteGroup {
    private static final Logger log = LoggerFactory.getLogger(TallyServer.class);

    /**
     * How long a store that answered is taken as up: a load balancer or monitor polling {@code /health} many times a
     * second costs the store one lookup a second, not one per poll. A store that did not answer is asked again at the
     * next poll, so an outage shows at once and a recovery within this.
     */
    static final long HEALTHY_FOR_NANOS = 1_000_000_000L;

    private final Tally tally;
    private final ServerMetrics metrics;
    private final Sweeper sweeper;
    private final long maxBodyBytes;
    private volatile long healthyUntil = System.nanoTime();

    OperationsRoutes(Tally tally, ServerMetrics metrics, Sweeper sweeper, long maxBodyBytes) {
        this.tally = tally;
        this.metrics = metrics;
        this.sweeper = sweeper;
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public void register(Javalin app) {
        app.get("/health", this::health);
        app.get("/metrics", ctx -> {
            Input.onlyParams(ctx);
            ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape());
        });
        app.get("/api/stats", ctx -> {
            Input.onlyParams(ctx);
            JsonResponses.send(ctx, 200, JobJson.stats(tally.stats()));
        });
        app.post("/api/sweep", ctx -> {
            Input.onlyParams(ctx);
            Input.object(ctx, maxBodyBytes, false);
            JsonResponses.send(ctx, 200, JobJson.sweep(sweeper.sweep()));
        });
    }

    /**
     * 200 {@code ok} when the store answered a lookup within the last second, 503 {@code unavailable} (with the reason)
     * when it cannot.
     */
    private void health(Context ctx) {
        Input.onlyParams(ctx);
        ObjectNode o = JobJson.MAPPER.createObjectNode();
        try {
            long now = System.nanoTime();
            if (now - healthyUntil >= 0) {
                tally.ping();
                healthyUntil = now + HEALTHY_FOR_NANOS;
            }
            o.put("status", "ok");
            JsonResponses.send(ctx, 200, o);
        } catch (StoreUnavailableException e) {
            log.warn("health: store unavailable: {}", e.toString());
            o.put("status", "unavailable");
            o.put("message", ExceptionStatuses.STORE_DOWN);
            JsonResponses.send(ctx, 503, o);
        }
    }
}
