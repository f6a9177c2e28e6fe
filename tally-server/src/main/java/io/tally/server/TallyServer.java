package io.tally.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tally.IllegalTransitionException;
import io.tally.InvalidInputException;
import io.tally.Job;
import io.tally.JobExistsException;
import io.tally.JobFinishedException;
import io.tally.JobNotFoundException;
import io.tally.JobQuery;
import io.tally.JobSnapshot;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.Page;
import io.tally.StoreUnavailableException;
import io.tally.SweepResult;
import io.tally.Tally;
import io.tally.TallyException;
import io.tally.runner.Build;
import io.tally.runner.BuildOptions;
import io.tally.runner.Runner;
import io.tally.store.ItemUpdate;
import io.tally.store.LogEntry;
import io.tally.store.PartStatus;
import io.tally.store.ProgressUpdate;
import io.tally.store.StoredItem;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tally's HTTP server: the JSON API under {@code /api}, server-sent events at {@code /api/events}, the dashboard at
 * {@code /}, {@code /health} and Prometheus {@code /metrics}. It also runs the sweeper every {@code sweepInterval}.
 *
 * <pre>{@code
 * try (TallyServer server = TallyServer.builder().tally(Tally.open("sqlite:tally.db")).port(8080).build().start()) {
 *     server.join();
 * }
 * }</pre>
 *
 * <p>Every error is a JSON {@code {"error":{"code":…,"message":…}}} with a 4xx status for bad input (400 invalid,
 * 401 unauthorized, 404 not_found, 409 conflict or finished, 413 too_large) and 503 unavailable when the store cannot
 * be reached; a 500 means a bug. The server does not close the {@link Tally} it was given.
 */
public final class TallyServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TallyServer.class);
    private static final String JSON = "application/json";
    private static final String DASHBOARD = "/io/tally/server/dashboard/";
    private static final String[] SPEC_FIELDS = {
        "id",
        "name",
        "scope",
        "parent",
        "total",
        "metadata",
        "start",
        "parts",
        "timeout",
        "heartbeat",
        "retainFor",
        "message",
        "toleratedFailures"
    };
    /**
     * Scripts and styles only from this server, no inline script, no framing: the dashboard renders job data, and a
     * job name must never become code.
     */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private final Tally tally;
    private final Runner runner;
    private final String host;
    private final int requestedPort;
    private final byte[] token;
    private final byte[] readToken;
    private final long maxBodyBytes;
    private final Duration sweepInterval;
    private final Duration sseHeartbeat;
    private final int eventBuffer;
    private final int maxEventStreams;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter sweptJobs;
    private final AtomicReference<SweepResult> lastSweep = new AtomicReference<>(new SweepResult(0, 0, 0));

    private Javalin app;
    private EventHub hub;
    private ScheduledExecutorService sweeper;
    private volatile boolean stopped;

    private TallyServer(Builder b) {
        this.tally = b.tally;
        this.runner = b.runner;
        this.host = b.host;
        this.requestedPort = b.port;
        this.token = b.token == null ? null : b.token.getBytes(StandardCharsets.UTF_8);
        this.readToken = b.readToken == null ? null : b.readToken.getBytes(StandardCharsets.UTF_8);
        this.maxBodyBytes = b.maxBodyBytes;
        this.sweepInterval = b.sweepInterval;
        this.sseHeartbeat = b.sseHeartbeat;
        this.eventBuffer = b.eventBuffer;
        this.maxEventStreams = b.maxEventStreams;
        this.sweptJobs = Counter.builder("tally.sweep.jobs")
                .description("jobs failed or deleted by the sweeper")
                .register(metrics);
        new JvmMemoryMetrics().bindTo(metrics);
        new JvmThreadMetrics().bindTo(metrics);
        for (JobState st : JobState.values()) {
            Gauge.builder("tally.jobs", this, s -> s.countOf(st))
                    .tag("state", st.name())
                    .description("jobs in each state")
                    .register(metrics);
        }
    }

    /** @return a builder; only {@link Builder#tally} is required */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds the port, subscribes to events and starts the sweeper.
     *
     * @return this server
     * @throws IllegalStateException if it was already started
     */
    public synchronized TallyServer start() {
        if (app != null) {
            throw new IllegalStateException("already started");
        }
        hub = new EventHub(tally, eventBuffer);
        Gauge.builder("tally.sse.clients", hub, EventHub::clientCount)
                .description("connected event-stream clients")
                .register(metrics);
        app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.http.maxRequestSize = maxBodyBytes;
            // Javalin's own compression would buffer the event stream; API answers are small.
            config.http.disableCompression();
            config.router.ignoreTrailingSlashes = true;
        });
        routes(app);
        app.start(host, requestedPort);
        if (sweepInterval != null) {
            sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "tally-sweeper");
                t.setDaemon(true);
                return t;
            });
            long ms = sweepInterval.toMillis();
            sweeper.scheduleWithFixedDelay(this::sweepQuietly, ms, ms, TimeUnit.MILLISECONDS);
        }
        log.info("Tally server on {}", url());
        return this;
    }

    /** @return the bound port (the real one when built with port 0) */
    public int port() {
        if (app == null) {
            throw new IllegalStateException("not started");
        }
        return app.port();
    }

    /** @return {@code http://host:port} */
    public String url() {
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port();
    }

    /** Blocks until the server is stopped (for {@code tally serve}). */
    public void join() throws InterruptedException {
        synchronized (this) {
            while (!stopped) {
                wait();
            }
        }
    }

    /** Stops the sweeper, ends the event streams and closes the port. Idempotent. */
    @Override
    public synchronized void close() {
        if (stopped) {
            return;
        }
        stopped = true;
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
        if (hub != null) {
            hub.close();
        }
        if (app != null) {
            app.stop();
        }
        metrics.close();
        notifyAll();
    }

    private void sweepQuietly() {
        try {
            SweepResult r = tally.sweep();
            lastSweep.set(r);
            sweptJobs.increment(r.total());
        } catch (RuntimeException e) {
            // The next run retries; a store outage must not kill the sweeper thread.
            log.warn("sweep failed: {}", e.toString());
        }
    }

    private double countOf(JobState st) {
        try {
            return tally.stats().getOrDefault(st, 0L);
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }

    // ---------------------------------------------------------------- routes

    private void routes(Javalin app) {
        app.before(ctx -> {
            ctx.attribute("tally.start", System.nanoTime());
            securityHeaders(ctx);
        });
        app.before("/api/*", this::authorize);
        app.before("/metrics", this::authorize);
        app.after(this::recordTiming);

        app.exception(ApiException.class, (e, ctx) -> error(ctx, e.status(), e.code(), e.getMessage()));
        app.exception(InvalidInputException.class, (e, ctx) -> error(ctx, 400, "invalid", e.getMessage()));
        app.exception(JobNotFoundException.class, (e, ctx) -> error(ctx, 404, "not_found", e.getMessage()));
        app.exception(IllegalTransitionException.class, (e, ctx) -> error(ctx, 409, "conflict", e.getMessage()));
        app.exception(JobExistsException.class, (e, ctx) -> error(ctx, 409, "conflict", e.getMessage()));
        app.exception(JobFinishedException.class, (e, ctx) -> error(ctx, 409, "finished", e.getMessage()));
        app.exception(StoreUnavailableException.class, (e, ctx) -> {
            log.warn("store unavailable: {}", e.toString());
            error(ctx, 503, "unavailable", e.getMessage());
        });
        app.exception(TallyException.class, (e, ctx) -> error(ctx, 400, "invalid", e.getMessage()));
        app.exception(JsonProcessingException.class, (e, ctx) -> error(ctx, 400, "invalid", "malformed JSON"));
        app.exception(HttpResponseException.class, (e, ctx) -> {
            int st = e.getStatus();
            String code = st == 404 ? "not_found" : st == 413 ? "too_large" : st == 401 ? "unauthorized" : "invalid";
            String msg =
                    st == 404 ? "no such endpoint: " + ctx.method() + " " + Input.clip(ctx.path()) : e.getMessage();
            error(ctx, st == 405 ? 404 : st, code, msg);
        });
        app.exception(Exception.class, (e, ctx) -> {
            log.error("unexpected error on {} {}", ctx.method(), ctx.path(), e);
            error(ctx, 500, "internal", "internal error; see the server log");
        });

        app.get("/health", this::health);
        app.get("/metrics", ctx -> {
            Input.onlyParams(ctx);
            ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape());
        });
        app.get("/", ctx -> staticFile(ctx, "index.html", "text/html; charset=utf-8"));
        app.get("/app.js", ctx -> staticFile(ctx, "app.js", "text/javascript; charset=utf-8"));
        app.get("/style.css", ctx -> staticFile(ctx, "style.css", "text/css; charset=utf-8"));
        app.get("/favicon.svg", ctx -> staticFile(ctx, "favicon.svg", "image/svg+xml"));
        app.get("/api/openapi.json", ctx -> {
            Input.onlyParams(ctx);
            ctx.contentType(JSON).result(resource("/io/tally/server/openapi.json"));
        });

        app.post("/api/jobs", this::createJob);
        app.get("/api/jobs", this::listJobs);
        app.get("/api/jobs/{id}", ctx -> {
            Input.onlyParams(ctx);
            send(ctx, 200, JobJson.job(snapshot(ctx), true));
        });
        app.delete("/api/jobs/{id}", ctx -> {
            Input.onlyParams(ctx);
            if (!tally.delete(ctx.pathParam("id"))) {
                throw new JobNotFoundException(ctx.pathParam("id"));
            }
            ctx.status(204);
        });
        app.post("/api/jobs/{id}/progress", this::progress);
        app.post("/api/jobs/{id}/start", ctx -> {
            Input.onlyParams(ctx);
            Input.object(ctx, maxBodyBytes, false);
            send(ctx, 200, JobJson.job(job(ctx).start(), false));
        });
        app.post("/api/jobs/{id}/finish", ctx -> {
            Input.onlyParams(ctx);
            ObjectNode body = Input.object(ctx, maxBodyBytes, false, "result");
            JsonNode result = body.get("result");
            Job job = job(ctx);
            send(ctx, 200, JobJson.job(result == null || result.isNull() ? job.finish() : job.finish(result), false));
        });
        app.post("/api/jobs/{id}/fail", ctx -> {
            Input.onlyParams(ctx);
            ObjectNode body = Input.object(ctx, maxBodyBytes, false, "error");
            String error = Input.text(body, "error");
            send(ctx, 200, JobJson.job(job(ctx).fail(error == null ? "failed" : error), false));
        });
        app.post("/api/jobs/{id}/cancel", ctx -> {
            Input.onlyParams(ctx);
            ObjectNode body = Input.object(ctx, maxBodyBytes, false, "reason");
            send(ctx, 200, JobJson.job(job(ctx).cancel(Input.text(body, "reason")), false));
        });
        app.post("/api/jobs/{id}/heartbeat", ctx -> {
            Input.onlyParams(ctx);
            Input.object(ctx, maxBodyBytes, false);
            send(ctx, 200, JobJson.job(job(ctx).heartbeat(), false));
        });
        app.post("/api/jobs/{id}/parts/{n}/complete", ctx -> {
            Input.onlyParams(ctx);
            Input.object(ctx, maxBodyBytes, false);
            int part = Input.partParam(ctx);
            send(ctx, 200, JobJson.completion(tally.completePart(id(ctx), part)));
        });
        app.post("/api/jobs/{id}/parts/{n}/fail", ctx -> {
            Input.onlyParams(ctx);
            ObjectNode body = Input.object(ctx, maxBodyBytes, false, "reason", "failJob");
            int part = Input.partParam(ctx);
            send(
                    ctx,
                    200,
                    JobJson.completion(tally.failPart(
                            id(ctx), part, Input.text(body, "reason"), Input.bool(body, "failJob", false))));
        });
        app.get("/api/jobs/{id}/parts", this::listParts);
        app.get("/api/jobs/{id}/items", this::listItems);
        app.get("/api/jobs/{id}/logs", this::listLogs);
        app.get("/api/stats", ctx -> {
            Input.onlyParams(ctx);
            send(ctx, 200, JobJson.stats(tally.stats()));
        });
        app.post("/api/sweep", ctx -> {
            Input.onlyParams(ctx);
            Input.object(ctx, maxBodyBytes, false);
            SweepResult r = tally.sweep();
            sweptJobs.increment(r.total());
            send(ctx, 200, JobJson.sweep(r));
        });
        app.get("/api/events", this::events);
        app.get("/api/definitions", ctx -> {
            Input.onlyParams(ctx);
            send(ctx, 200, DefinitionJson.definitions(runner()));
        });
        app.post("/api/definitions/{id}/builds", this::startBuild);
    }

    private void securityHeaders(Context ctx) {
        ctx.header("Content-Security-Policy", CSP);
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.header("Cross-Origin-Opener-Policy", "same-origin");
        ctx.header("Cross-Origin-Resource-Policy", "same-origin");
        ctx.header("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
        ctx.header("Cache-Control", "no-store");
    }

    /**
     * Writes need {@code token} (when set); reads need {@code readToken} or {@code token} when a read token is set.
     * Writes accept only the {@code Authorization: Bearer} header, which a cross-site form cannot send; reads also accept
     * the {@code tally_token} cookie because the browser's EventSource cannot set headers.
     */
    private void authorize(Context ctx) {
        boolean read = ctx.method().name().equals("GET") || ctx.method().name().equals("HEAD");
        byte[] writeKey = token != null ? token : readToken;
        if (read ? readToken == null : writeKey == null) {
            return;
        }
        String given = bearer(ctx);
        if (given == null && read) {
            given = ctx.cookie("tally_token");
        }
        byte[] g = given == null ? new byte[0] : given.getBytes(StandardCharsets.UTF_8);
        boolean ok = read ? matches(g, readToken) || matches(g, token) : matches(g, writeKey);
        if (!ok) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"tally\"");
            throw new ApiException(
                    401,
                    "unauthorized",
                    given == null ? "a token is required (Authorization: Bearer …)" : "wrong token");
        }
    }

    private static boolean matches(byte[] given, byte[] expected) {
        // MessageDigest.isEqual compares in time independent of where the bytes differ.
        return expected != null && MessageDigest.isEqual(given, expected);
    }

    private static String bearer(Context ctx) {
        String h = ctx.header("Authorization");
        if (h == null) {
            return null;
        }
        return h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim() : h.trim();
    }

    private void recordTiming(Context ctx) {
        Long start = ctx.attribute("tally.start");
        if (start == null || ctx.path().equals("/api/events")) {
            return;
        }
        String route = ctx.endpointHandlerPath();
        Timer.builder("tally.http.requests")
                .tag("method", ctx.method().name())
                .tag("route", route == null || route.isEmpty() || route.equals("*") ? "unmatched" : route)
                .tag("status", Integer.toString(ctx.statusCode()))
                .register(metrics)
                .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }

    private void health(Context ctx) {
        Input.onlyParams(ctx);
        ObjectNode o = JobJson.MAPPER.createObjectNode();
        try {
            tally.store().find("health-check");
            o.put("status", "ok");
            send(ctx, 200, o);
        } catch (StoreUnavailableException e) {
            o.put("status", "unavailable");
            o.put("message", e.getMessage());
            send(ctx, 503, o);
        }
    }

    private void createJob(Context ctx) {
        Input.onlyParams(ctx);
        ObjectNode b = Input.object(ctx, maxBodyBytes, true, SPEC_FIELDS);
        JobSpec.Builder spec = JobSpec.builder();
        String name = Input.text(b, "name");
        if (name == null) {
            throw ApiException.invalid("name: is required");
        }
        spec.name(name);
        Optional.ofNullable(Input.text(b, "id")).ifPresent(spec::id);
        Optional.ofNullable(Input.text(b, "scope")).ifPresent(spec::scope);
        Optional.ofNullable(Input.text(b, "parent")).ifPresent(spec::parent);
        Optional.ofNullable(Input.text(b, "message")).ifPresent(spec::message);
        spec.total(Input.integer(b, "total", 0));
        spec.start(Input.bool(b, "start", false));
        spec.toleratedFailures(Input.smallInt(b, "toleratedFailures", 0));
        JsonNode metadata = b.get("metadata");
        if (metadata != null && !metadata.isNull()) {
            if (!metadata.isObject()) {
                throw ApiException.invalid("metadata: must be a JSON object");
            }
            spec.metadataJson(metadata.toString());
        }
        JsonNode parts = b.get("parts");
        if (parts != null && !parts.isNull()) {
            if (!parts.isArray()) {
                throw ApiException.invalid("parts: must be an array of JSON objects");
            }
            List<Object> list = new ArrayList<>(parts.size());
            for (int i = 0; i < parts.size(); i++) {
                if (!parts.get(i).isObject()) {
                    throw ApiException.invalid("parts: part " + i + " must be a JSON object");
                }
                list.add(parts.get(i));
            }
            spec.parts(list);
        }
        Optional.ofNullable(Input.duration(b, "timeout")).ifPresent(spec::timeout);
        Optional.ofNullable(Input.duration(b, "heartbeat")).ifPresent(spec::heartbeat);
        Optional.ofNullable(Input.duration(b, "retainFor")).ifPresent(spec::retainFor);
        Job job = tally.create(spec.build());
        ctx.header("Location", "/api/jobs/" + job.id());
        send(ctx, 201, JobJson.job(job.snapshot(), false));
    }

    private void listJobs(Context ctx) {
        Input.onlyParams(ctx, "state", "scope", "name", "parent", "limit", "cursor");
        JobQuery.Builder q = JobQuery.builder();
        String state = ctx.queryParam("state");
        if (state != null && !state.isEmpty()) {
            q.state(state(state));
        }
        q.scope(blankToNull(ctx.queryParam("scope")));
        q.name(blankToNull(ctx.queryParam("name")));
        q.parent(blankToNull(ctx.queryParam("parent")));
        q.limit(Input.intParam(ctx, "limit", JobQuery.DEFAULT_LIMIT, 1, JobQuery.MAX_LIMIT));
        q.cursor(blankToNull(ctx.queryParam("cursor")));
        Page<JobSnapshot> page = tally.query(q.build());
        ObjectNode o = JobJson.MAPPER.createObjectNode();
        ArrayNode jobs = o.putArray("jobs");
        page.items().forEach(s -> jobs.add(JobJson.job(s, false)));
        o.put("next", page.next().orElse(null));
        send(ctx, 200, o);
    }

    static JobState state(String s) {
        try {
            return JobState.valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("state: must be one of PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED, SKIPPED");
        }
    }

    private void progress(Context ctx) {
        Input.onlyParams(ctx);
        ObjectNode b = Input.object(ctx, maxBodyBytes, true, "succeeded", "failed", "items", "addTotal", "message");
        long ok = Input.integer(b, "succeeded", 0);
        long failed = Input.integer(b, "failed", 0);
        long addTotal = Input.integer(b, "addTotal", 0);
        String message = Input.text(b, "message");
        List<ItemUpdate> items = new ArrayList<>();
        JsonNode arr = b.get("items");
        if (arr != null && !arr.isNull()) {
            if (!arr.isArray()) {
                throw ApiException.invalid("items: must be an array");
            }
            if (arr.size() > 10_000) {
                throw ApiException.invalid("items: at most 10000 per request");
            }
            for (JsonNode it : arr) {
                if (!it.isObject()) {
                    throw ApiException.invalid("items: each item must be an object {key, outcome, reason}");
                }
                for (Iterator<String> f = it.fieldNames(); f.hasNext(); ) {
                    String name = f.next();
                    if (!name.equals("key") && !name.equals("outcome") && !name.equals("reason")) {
                        throw ApiException.invalid("items: unknown field '" + Input.clip(name) + "'");
                    }
                }
                String key = Input.text(it, "key");
                if (key == null) {
                    throw ApiException.invalid("items: key is required");
                }
                String outcome = Input.text(it, "outcome");
                Outcome oc;
                if (outcome == null || outcome.equalsIgnoreCase("SUCCESS")) {
                    oc = Outcome.SUCCESS;
                } else if (outcome.equalsIgnoreCase("FAILURE")) {
                    oc = Outcome.FAILURE;
                } else {
                    throw ApiException.invalid("items: outcome must be SUCCESS or FAILURE");
                }
                items.add(new ItemUpdate(key, oc, Input.text(it, "reason")));
            }
        }
        Job job = job(ctx);
        job.record(new ProgressUpdate(ok, failed, items, addTotal, message));
        send(ctx, 200, JobJson.job(job.snapshot(), false));
    }

    private void listParts(Context ctx) {
        Input.onlyParams(ctx, "state", "after", "limit");
        String st = Optional.ofNullable(ctx.queryParam("state")).orElse("pending");
        PartStatus status;
        try {
            status = PartStatus.valueOf(st.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("state: must be pending, succeeded or failed");
        }
        int after = Input.intParam(ctx, "after", -1, -1, Integer.MAX_VALUE);
        int limit = Input.intParam(ctx, "limit", 1000, 1, 10_000);
        String id = snapshot(ctx).id();
        List<Integer> parts = tally.store().parts(id, status, after, limit);
        ObjectNode o = JobJson.MAPPER.createObjectNode();
        o.put("state", status.name());
        ArrayNode arr = o.putArray("parts");
        parts.forEach(arr::add);
        if (parts.size() == limit) {
            o.put("next", parts.get(parts.size() - 1));
        } else {
            o.putNull("next");
        }
        send(ctx, 200, o);
    }

    private void listItems(Context ctx) {
        Input.onlyParams(ctx, "outcome", "after", "limit");
        String oc = blankToNull(ctx.queryParam("outcome"));
        Outcome outcome = null;
        if (oc != null) {
            try {
                outcome = Outcome.valueOf(oc.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid("outcome: must be SUCCESS or FAILURE");
            }
        }
        int limit = Input.intParam(ctx, "limit", 100, 1, 1000);
        String id = snapshot(ctx).id();
        Page<StoredItem> page = tally.store().items(id, outcome, blankToNull(ctx.queryParam("after")), limit);
        ObjectNode o = JobJson.MAPPER.createObjectNode();
        ArrayNode arr = o.putArray("items");
        page.items().forEach(i -> arr.add(JobJson.item(i)));
        o.put("next", page.next().orElse(null));
        send(ctx, 200, o);
    }

    private void listLogs(Context ctx) {
        Input.onlyParams(ctx, "after", "limit");
        long after = Input.intParam(ctx, "after", 0, 0, Integer.MAX_VALUE);
        int limit = Input.intParam(ctx, "limit", 200, 1, 1000);
        String id = snapshot(ctx).id();
        List<LogEntry> logs = tally.store().logs(id, after, limit);
        ObjectNode o = JobJson.MAPPER.createObjectNode();
        ArrayNode arr = o.putArray("logs");
        logs.forEach(e -> arr.add(JobJson.log(e)));
        if (logs.size() == limit) {
            o.put("next", logs.get(logs.size() - 1).seq());
        } else {
            o.putNull("next");
        }
        send(ctx, 200, o);
    }

    // ---------------------------------------------------------------- server-sent events

    /**
     * Streams events. The handler holds its request thread for the life of the stream: simple, and a dashboard has few
     * viewers. It registers with the hub before reading the snapshot, so nothing falls between the two.
     */
    private void events(Context ctx) throws IOException {
        Input.onlyParams(ctx, "job", "scope", "parent", "lastEventId");
        String job = blankToNull(ctx.queryParam("job"));
        String scope = blankToNull(ctx.queryParam("scope"));
        String parent = blankToNull(ctx.queryParam("parent"));
        if ((job != null ? 1 : 0) + (scope != null ? 1 : 0) + (parent != null ? 1 : 0) > 1) {
            throw ApiException.invalid("give at most one of job, scope and parent");
        }
        if (job != null) {
            tally.snapshot(job).orElseThrow(() -> new JobNotFoundException(job));
        }
        if (parent != null) {
            io.tally.EventFilter.parent(parent); // validates the id
        }
        if (hub.clientCount() >= maxEventStreams) {
            // Each stream holds a request thread; past the cap, refuse rather than starve the API.
            throw new ApiException(503, "unavailable", "too many event streams (" + maxEventStreams + ")");
        }
        long lastId = lastEventId(ctx);
        EventHub.Registration reg = hub.register(EventHub.filter(job, scope, parent), lastId);
        try {
            ctx.status(200);
            ctx.res().setContentType("text/event-stream; charset=utf-8");
            ctx.res().setHeader("Cache-Control", "no-store");
            ctx.res().setHeader("X-Accel-Buffering", "no");
            OutputStream out = ctx.res().getOutputStream();
            write(out, "retry: 2000\n\n");
            if (reg.replay().isPresent()) {
                for (EventHub.Emitted e : reg.replay().get()) {
                    send(out, e);
                }
            } else {
                ObjectNode snap = snapshotEvent(job, scope, parent);
                write(out, "id: " + reg.snapshotId() + "\nevent: snapshot\ndata: " + snap + "\n\n");
            }
            out.flush();
            long beat = sseHeartbeat.toMillis();
            while (!stopped) {
                EventHub.Emitted e = reg.client().poll(beat);
                if (e == null) {
                    write(out, ": heartbeat\n\n");
                } else if (EventHub.isClose(e)) {
                    break;
                } else {
                    send(out, e);
                }
                out.flush();
            }
        } catch (IOException | UncheckedIOException e) {
            // The client went away: the normal end of a stream.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            hub.unregister(reg.client());
        }
    }

    private static long lastEventId(Context ctx) {
        String v = ctx.header("Last-Event-ID");
        if (v == null) {
            v = ctx.queryParam("lastEventId");
        }
        if (v == null || v.isBlank()) {
            return -1;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return -1; // an id from another server: start over with a snapshot
        }
    }

    private ObjectNode snapshotEvent(String job, String scope, String parent) {
        ObjectNode o = JobJson.MAPPER.createObjectNode();
        o.put("type", "SNAPSHOT");
        if (job != null) {
            o.set(
                    "job",
                    tally.snapshot(job)
                            .map(s -> (JsonNode) JobJson.job(s, true))
                            .orElse(null));
            return o;
        }
        Page<JobSnapshot> page = tally.query(
                JobQuery.builder().scope(scope).parent(parent).limit(100).build());
        ArrayNode jobs = o.putArray("jobs");
        page.items().forEach(s -> jobs.add(JobJson.job(s, false)));
        o.set("stats", JobJson.stats(tally.stats()));
        return o;
    }

    private static void send(OutputStream out, EventHub.Emitted e) throws IOException {
        write(out, "id: " + e.id() + "\nevent: " + e.type() + "\ndata: " + e.data() + "\n\n");
    }

    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
    }

    // ---------------------------------------------------------------- definitions and builds

    private Runner runner() {
        if (runner == null) {
            throw new ApiException(
                    404,
                    "not_found",
                    "this server has no job definitions (start it with a Runner: tally serve --definitions FILE)");
        }
        return runner;
    }

    private void startBuild(Context ctx) {
        Input.onlyParams(ctx);
        Runner r = runner();
        ObjectNode body = Input.object(ctx, maxBodyBytes, false, "buildDependencies", "buildDependents");
        BuildOptions options = BuildOptions.defaults()
                .buildDependencies(Input.bool(body, "buildDependencies", false))
                .buildDependents(Input.bool(body, "buildDependents", false));
        String id = id(ctx);
        if (r.definition(id).isEmpty()) {
            throw new ApiException(404, "not_found", "no such definition: " + Input.clip(id));
        }
        Build b = r.build(id, options);
        ObjectNode o = JobJson.MAPPER.createObjectNode();
        o.put("id", b.id());
        o.put("definition", id);
        o.put("buildDependencies", options.buildDependencies());
        o.put("buildDependents", options.buildDependents());
        ctx.header("Location", "/api/jobs/" + b.id());
        send(ctx, 202, o);
    }

    // ---------------------------------------------------------------- helpers

    private static String id(Context ctx) {
        return ctx.pathParam("id");
    }

    private Job job(Context ctx) {
        return tally.get(id(ctx));
    }

    private JobSnapshot snapshot(Context ctx) {
        String id = id(ctx);
        return tally.snapshot(id).orElseThrow(() -> new JobNotFoundException(id));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static void send(Context ctx, int status, JsonNode body) {
        ctx.status(status).contentType(JSON).result(body.toString());
    }

    private static void error(Context ctx, int status, String code, String message) {
        ObjectNode o = JobJson.MAPPER.createObjectNode();
        ObjectNode e = o.putObject("error");
        e.put("code", code);
        e.put("message", message == null ? code : message);
        send(ctx, status, o);
    }

    private void staticFile(Context ctx, String name, String type) {
        ctx.header("Cache-Control", "no-cache");
        ctx.contentType(type).result(resource(DASHBOARD + name));
    }

    private static byte[] resource(String path) {
        try (InputStream in = TallyServer.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new ApiException(404, "not_found", "no such file: " + path);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Builds a {@link TallyServer}; each setter validates at once. */
    public static final class Builder {
        private Tally tally;
        private Runner runner;
        private String host = "127.0.0.1";
        private int port = 8080;
        private String token;
        private String readToken;
        private long maxBodyBytes = 1024 * 1024;
        private Duration sweepInterval = Duration.ofSeconds(5);
        private Duration sseHeartbeat = Duration.ofSeconds(15);
        private int eventBuffer = 10_000;
        private int maxEventStreams = 100;

        private Builder() {}

        /** @param tally the Tally to serve (required); the server does not close it */
        public Builder tally(Tally tally) {
            this.tally = tally;
            return this;
        }

        /**
         * @param runner the job definitions served at {@code /api/definitions} and built by {@code POST
         *     /api/definitions/{id}/builds} (default none: both answer 404); it should track builds in the same
         *     store as {@link #tally}. The server does not close it.
         */
        public Builder runner(Runner runner) {
            this.runner = runner;
            return this;
        }

        /** @param host the address to bind (default {@code 127.0.0.1}: only this machine) */
        public Builder host(String host) {
            if (host == null || host.isBlank()) {
                throw new InvalidInputException("host", "must not be blank");
            }
            this.host = host;
            return this;
        }

        /** @param port the TCP port, 0 for any free one (default 8080) */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new InvalidInputException("port", "must be 0–65535, was " + port);
            }
            this.port = port;
            return this;
        }

        /** @param token the bearer token every write must carry (default none: open) */
        public Builder token(String token) {
            this.token = token == null || token.isEmpty() ? null : token;
            return this;
        }

        /** @param readToken a token every read must carry (the write token is accepted too); default none */
        public Builder readToken(String readToken) {
            this.readToken = readToken == null || readToken.isEmpty() ? null : readToken;
            return this;
        }

        /** @param bytes the largest request body accepted; larger ones get 413 (default 1 MiB) */
        public Builder maxBodyBytes(long bytes) {
            if (bytes < 1024) {
                throw new InvalidInputException("maxBodyBytes", "must be at least 1024, was " + bytes);
            }
            this.maxBodyBytes = bytes;
            return this;
        }

        /** @param interval how often the sweeper runs (default 5 s); null to not run one */
        public Builder sweepInterval(Duration interval) {
            if (interval != null && (interval.isNegative() || interval.isZero())) {
                throw new InvalidInputException("sweepInterval", "must be positive");
            }
            this.sweepInterval = interval;
            return this;
        }

        /** @param interval how often an idle event stream gets a heartbeat comment (default 15 s) */
        public Builder sseHeartbeat(Duration interval) {
            if (interval == null || interval.isNegative() || interval.isZero()) {
                throw new InvalidInputException("sseHeartbeat", "must be positive");
            }
            this.sseHeartbeat = interval;
            return this;
        }

        /** @param events how many recent events are kept for {@code Last-Event-ID} resumes (default 10,000) */
        public Builder eventBuffer(int events) {
            if (events < 1) {
                throw new InvalidInputException("eventBuffer", "must be positive");
            }
            this.eventBuffer = events;
            return this;
        }

        /**
         * @param streams most concurrent {@code /api/events} streams (default 100); each holds a request thread, so
         *     past this the server answers 503
         */
        public Builder maxEventStreams(int streams) {
            if (streams < 1 || streams > 200) {
                throw new InvalidInputException("maxEventStreams", "must be 1–200, was " + streams);
            }
            this.maxEventStreams = streams;
            return this;
        }

        /** @return the server, not yet started */
        public TallyServer build() {
            if (tally == null) {
                throw new InvalidInputException("tally", "is required");
            }
            return new TallyServer(this);
        }
    }
}
