package io.tally.server;

import io.javalin.Javalin;
import io.tally.Tally;
import io.tally.micrometer.TallyMetrics;
import io.tally.runner.Runner;
import jakarta.servlet.DispatcherType;
import java.time.Duration;
import java.util.Collection;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.eclipse.jetty.servlet.FilterHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tally's HTTP server: the JSON API under {@code /api}, server-sent events at {@code /api/events}, the dashboard at
 * {@code /}, {@code /health} and Prometheus {@code /metrics}. It also runs the sweeper every {@code sweepInterval}.
 *
 * <pre>{@code
 * TallyMetrics metrics = new TallyMetrics(); // the job meters of /metrics
 * Tally tally = Tally.builder().url("sqlite:tally.db").instrumentation(metrics).build();
 * try (TallyServer server = TallyServer.builder().tally(tally).metrics(metrics).port(8080).build().start()) {
 *     server.join();
 * }
 * }</pre>
 *
 * <p>Every error is a JSON {@code {"error":{"code":…,"message":…}}} with a 4xx status for bad input (400 invalid,
 * 401 unauthorized, 404 not_found, 409 conflict or finished, 413 too_large) and 503 unavailable when the store cannot
 * be reached; a 500 means a bug. The server does not close the {@link Tally} it was given.
 *
 * <p>This class is the bootstrap and lifecycle only; the work is in small package-private classes: one
 * {@link RouteGroup} per resource ({@link JobRoutes}, {@link PartRoutes}, {@link ItemAndLogRoutes},
 * {@link EventRoutes}, {@link DefinitionRoutes}, {@link OperationsRoutes}, {@link DashboardRoutes}),
 * {@link TokenAuth}, {@link SecurityHeaders}, {@link ServerMetrics}, the {@link Sweeper}, and
 * {@link ExceptionStatuses}, the one place exceptions become statuses.
 */
public final class TallyServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TallyServer.class);
    /** The longest a request's body may stop arriving before the request is ended. */
    static final Duration BODY_IDLE_TIMEOUT = Duration.ofSeconds(5);

    private final Tally tally;
    private final Runner runner;
    private final String host;
    private final int requestedPort;
    private final TokenAuth auth;
    private final HostGuard hostGuard;
    private final long maxBodyBytes;
    private final Duration sweepInterval;
    private final Duration sseHeartbeat;
    private final int eventBuffer;
    private final int maxEventStreams;
    private final int maxConcurrentBodies;
    private final StorageLimits limits;
    private final ServerMetrics metrics;
    private final Sweeper sweeper;

    private Javalin app;
    /** "METHOD path" of every route registered, as Javalin announced it: the list tests walk. */
    private final List<String> routes = new java.util.concurrent.CopyOnWriteArrayList<>();

    private EventHub hub;
    private volatile boolean stopped;

    private TallyServer(Builder b) {
        this.tally = b.tally;
        this.runner = b.runner;
        this.host = b.host;
        this.requestedPort = b.port;
        this.auth = new TokenAuth(b.token, b.readToken);
        this.hostGuard = new HostGuard(b.host, b.allowedHosts);
        this.maxBodyBytes = b.maxBodyBytes;
        this.sweepInterval = b.sweepInterval;
        this.sseHeartbeat = b.sseHeartbeat;
        this.eventBuffer = b.eventBuffer;
        this.maxEventStreams = b.maxEventStreams;
        this.maxConcurrentBodies = b.maxConcurrentBodies;
        this.limits = new StorageLimits(b.maxParts, b.maxItemsPerRequest, b.maxMetadataBytes);
        if (b.metrics == null) {
            log.debug(
                    "/metrics shows tally.jobs only: build the Tally with instrumentation(metrics) and give the server"
                            + " metrics(metrics) for the counters of what it writes and sweeps");
        }
        this.metrics = new ServerMetrics(b.metrics != null ? b.metrics : TallyMetrics.jobsOnly(tally));
        this.sweeper = new Sweeper(tally);
    }

    /**
     * @param name a value for {@link Builder#allowedHosts}, as given (a command line checks its option with it)
     * @return whether it can be a host name or address: 1–255 of letters, digits, {@code . - : [ ]}
     */
    public static boolean isHostName(String name) {
        return name.matches("[A-Za-z0-9.\\-:\\[\\]]{1,255}");
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
        hub = new EventHub(tally, eventBuffer, sseHeartbeat);
        metrics.watchEventClients(hub);
        app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.http.maxRequestSize = maxBodyBytes;
            // Javalin's own compression would buffer the event stream; API answers are small.
            config.http.disableCompression();
            config.router.ignoreTrailingSlashes = true;
            config.events(events -> events.handlerAdded(h -> {
                if (h.getHttpMethod().isHttpMethod()) {
                    routes.add(h.getHttpMethod() + " " + h.getPath());
                }
            }));
            // Errors Jetty answers itself (bad URI encoding, too long a URI) in the API's JSON shape, not HTML.
            config.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
            config.jetty.modifyServletContextHandler(handler -> {
                handler.setErrorHandler(new JsonErrorHandler());
                handler.addFilter(
                        new FilterHolder(new BodyBulkhead(maxConcurrentBodies)),
                        "/*",
                        EnumSet.of(DispatcherType.REQUEST));
            });
            // A body that stops arriving for the idle timeout is ended: it would hold its thread for as long as it
            // likes. (Not Jetty's minimum data rate: it counts from the request's start, so a small body on a busy
            // server, a 15-byte progress call that waited a second for a thread, was refused with a 408.)
            config.jetty.modifyHttpConfiguration(http -> http.setIdleTimeout(BODY_IDLE_TIMEOUT.toMillis()));
        });
        install(app);
        app.start(host, requestedPort);
        if (sweepInterval != null) {
            sweeper.startEvery(sweepInterval);
        }
        log.info("Tally server on {}", url());
        return this;
    }

    /** Wires the filters, the exception mapping and every resource's routes into {@code app}. */
    private void install(Javalin app) {
        app.before(ctx -> {
            ServerMetrics.startTiming(ctx);
            SecurityHeaders.apply(ctx);
        });
        app.before(hostGuard::check);
        // The dashboard's files and /health stay open: a page must load before it can ask for a token.
        app.before("/api/*", Input::uriEncoding);
        app.before("/api/*", auth::authorize);
        app.before("/api/*", CrossSiteGuard::check);
        app.before("/metrics", auth::authorize);
        app.after(metrics::recordTiming);
        ExceptionStatuses.install(app);
        List<RouteGroup> groups = List.of(
                new OperationsRoutes(tally, metrics, sweeper, maxBodyBytes),
                auth,
                new DashboardRoutes(),
                new JobRoutes(tally, maxBodyBytes, limits),
                new PartRoutes(tally, maxBodyBytes),
                new BatchRoutes(tally, maxBodyBytes, limits),
                new ItemAndLogRoutes(tally),
                new EventRoutes(tally, hub, maxEventStreams),
                new DefinitionRoutes(runner, maxBodyBytes));
        groups.forEach(g -> g.register(app));
    }

    /**
     * @return every route the server registered, as {@code "METHOD /path/{param}"}, in the order registered: what a
     *     test that must cover every route walks, so that a route added later is covered without editing a list
     */
    List<String> routes() {
        return List.copyOf(routes);
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
        sweeper.close();
        if (hub != null) {
            hub.close();
        }
        if (app != null) {
            app.stop();
        }
        metrics.close();
        notifyAll();
    }

    /**
     * Builds a {@link TallyServer}; each setter checks its value at once. The settings are the program's own (the
     * {@code tally serve} command checks its options as input before it passes them on), so a bad one is a
     * {@link NullPointerException} or an {@link IllegalArgumentException}, and a missing {@link #tally} an
     * {@link IllegalStateException}.
     */
    public static final class Builder {
        private Tally tally;
        private Runner runner;
        private TallyMetrics metrics;
        private String host = "127.0.0.1";
        private Set<String> allowedHosts = Set.of();
        private int port = 8080;
        private String token;
        private String readToken;
        private long maxBodyBytes = 1024 * 1024;
        private Duration sweepInterval = Duration.ofSeconds(5);
        private Duration sseHeartbeat = Duration.ofSeconds(2);
        private int eventBuffer = 10_000;
        private int maxEventStreams = 1_000;
        private int maxConcurrentBodies = 128;
        private int maxParts = StorageLimits.DEFAULTS.maxParts();
        private int maxItemsPerRequest = StorageLimits.DEFAULTS.maxItemsPerRequest();
        private int maxMetadataBytes = StorageLimits.DEFAULTS.maxMetadataBytes();

        private Builder() {}

        /**
         * @param tally the Tally to serve (required); the server does not close it
         * @throws NullPointerException if it is null
         */
        public Builder tally(Tally tally) {
            this.tally = Objects.requireNonNull(tally, "tally");
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

        /**
         * @param metrics the job meters {@code /metrics} shows: the {@link TallyMetrics} the {@link #tally} was built
         *     with ({@code Tally.builder().instrumentation(metrics)}), so what the server writes and sweeps is counted
         *     ({@code tally.records}, {@code tally.sweeps}, …). Default: {@link TallyMetrics#jobsOnly}, the jobs per
         *     state alone, since the writes of a Tally built without one cannot be counted.
         * @throws NullPointerException if it is null
         */
        public Builder metrics(TallyMetrics metrics) {
            this.metrics = Objects.requireNonNull(metrics, "metrics");
            return this;
        }

        /**
         * @param host the address to bind (default {@code 127.0.0.1}: only this machine)
         * @throws NullPointerException if it is null
         * @throws IllegalArgumentException if it is blank
         */
        public Builder host(String host) {
            if (Objects.requireNonNull(host, "host").isBlank()) {
                throw new IllegalArgumentException("host must not be blank");
            }
            this.host = host;
            return this;
        }

        /**
         * @param hosts further names the server may be reached by (its machine's name, a proxy's), besides the
         *     loopback and the bound address; a request naming any other {@code Host} gets 421 (DNS rebinding). A
         *     server bound to every interface takes any host until some are given here.
         * @throws NullPointerException if it or a name is null
         * @throws IllegalArgumentException if a name is blank or holds characters no host name has
         */
        public Builder allowedHosts(Collection<String> hosts) {
            Set<String> names = new LinkedHashSet<>();
            for (String h : Objects.requireNonNull(hosts, "hosts")) {
                if (!isHostName(Objects.requireNonNull(h, "host"))) {
                    throw new IllegalArgumentException("allowed host must be a host name or address, was '" + h + "'");
                }
                names.add(h);
            }
            this.allowedHosts = Set.copyOf(names);
            return this;
        }

        /**
         * @param port the TCP port, 0 for any free one (default 8080)
         * @throws IllegalArgumentException if it is not 0–65535
         */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0–65535, was " + port);
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

        /**
         * @param bytes the largest request body accepted; larger ones get 413 (default 1 MiB)
         * @throws IllegalArgumentException if it is less than 1024
         */
        public Builder maxBodyBytes(long bytes) {
            if (bytes < 1024) {
                throw new IllegalArgumentException("maxBodyBytes must be at least 1024, was " + bytes);
            }
            this.maxBodyBytes = bytes;
            return this;
        }

        /**
         * @param interval how often the sweeper runs (default 5 s); null to not run one
         * @throws IllegalArgumentException if it is zero or negative
         */
        public Builder sweepInterval(Duration interval) {
            if (interval != null && (interval.isNegative() || interval.isZero())) {
                throw new IllegalArgumentException("sweepInterval must be positive, was " + interval);
            }
            this.sweepInterval = interval;
            return this;
        }

        /**
         * @param interval how often an idle event stream gets a heartbeat comment (default 2 s: a client that went away is found by the second write after it left, so its slot is free within about 4 s)
         * @throws NullPointerException if it is null
         * @throws IllegalArgumentException if it is zero or negative
         */
        public Builder sseHeartbeat(Duration interval) {
            if (Objects.requireNonNull(interval, "sseHeartbeat").isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("sseHeartbeat must be positive, was " + interval);
            }
            this.sseHeartbeat = interval;
            return this;
        }

        /**
         * @param events how many recent events are kept for {@code Last-Event-ID} resumes (default 10,000)
         * @throws IllegalArgumentException if it is less than 1
         */
        public Builder eventBuffer(int events) {
            if (events < 1) {
                throw new IllegalArgumentException("eventBuffer must be positive, was " + events);
            }
            this.eventBuffer = events;
            return this;
        }

        /**
         * @param parts most parts a job created over HTTP may have (default 10,000): a part is stored as a row or entry
         *     of its own, so this bounds what one request can make the store hold (the Java API allows
         *     {@value io.tally.JobSpec#MAX_PARTS})
         * @throws IllegalArgumentException if it is not 1 to {@value io.tally.JobSpec#MAX_PARTS}
         */
        public Builder maxParts(int parts) {
            if (parts < 1 || parts > io.tally.JobSpec.MAX_PARTS) {
                throw new IllegalArgumentException(
                        "maxParts must be 1–" + io.tally.JobSpec.MAX_PARTS + ", was " + parts);
            }
            this.maxParts = parts;
            return this;
        }

        /**
         * @param items most keyed items one progress request may carry (default 10,000); more is 400 naming
         *     {@code items}
         * @throws IllegalArgumentException if it is not 1–1,000,000
         */
        public Builder maxItemsPerRequest(int items) {
            if (items < 1 || items > 1_000_000) {
                throw new IllegalArgumentException("maxItemsPerRequest must be 1–1000000, was " + items);
            }
            this.maxItemsPerRequest = items;
            return this;
        }

        /**
         * @param bytes most bytes of a job's metadata as JSON (default and most: 64 KiB, what the core takes); more is
         *     400 naming {@code metadata}
         * @throws IllegalArgumentException if it is not 2 to 65,536
         */
        public Builder maxMetadataBytes(int bytes) {
            if (bytes < 2 || bytes > io.tally.internal.Validation.MAX_JSON_BYTES) {
                throw new IllegalArgumentException(
                        "maxMetadataBytes must be 2–" + io.tally.internal.Validation.MAX_JSON_BYTES + ", was " + bytes);
            }
            this.maxMetadataBytes = bytes;
            return this;
        }

        /**
         * @param requests most requests with a body handled at once (default 128, of the server's 250 threads); one
         *     more gets 503 {@code busy}. Slow or stalled bodies cannot then take the threads that answer reads and
         *     {@code /health}.
         * @throws IllegalArgumentException if it is not 1–200
         */
        public Builder maxConcurrentBodies(int requests) {
            if (requests < 1 || requests > 200) {
                throw new IllegalArgumentException("maxConcurrentBodies must be 1–200, was " + requests);
            }
            this.maxConcurrentBodies = requests;
            return this;
        }

        /**
         * @param streams most concurrent {@code /api/events} streams (default 1,000); past this the server answers 503.
         *     A stream holds no thread, only its connection and up to {@value SseStream#MAX_PENDING_BYTES} bytes
         *     waiting for a slow client.
         * @throws IllegalArgumentException if it is not 1–100,000
         */
        public Builder maxEventStreams(int streams) {
            if (streams < 1 || streams > 100_000) {
                throw new IllegalArgumentException("maxEventStreams must be 1–100000, was " + streams);
            }
            this.maxEventStreams = streams;
            return this;
        }

        /**
         * @return the server, not yet started
         * @throws IllegalStateException if no {@link #tally} was given
         */
        public TallyServer build() {
            if (tally == null) {
                throw new IllegalStateException("a Tally is required: tally(…)");
            }
            return new TallyServer(this);
        }
    }
}
