/*
 * Tally's fault and load suite: starts `tally serve` processes from the shaded CLI jar on 127.0.0.1, loads them, kills
 * them with SIGKILL, restarts them and checks that nothing acknowledged was lost. Run it with scripts/fault-load.sh
 * (which builds the jar when it is missing); docs/fault-and-load.md describes each scenario and its figures.
 *
 *   java -cp tally-cli/target/tally.jar scripts/FaultLoad.java [options] [scenario…]
 *
 * Scenarios (default: all): kill-sqlite, kill-postgresql, sse, slow, two-servers.
 * Exit codes: 0 every check passed; 1 a correctness check failed (lost > 0, a phantom write, integrity not ok, a count
 * off, not exactly one `last`, an API error); 2 usage or set-up error; 3 only a service target was missed (streams
 * refused, /health slower than 1 s or not answering).
 *
 * Every process it starts is killed, and its temporary folder and PostgreSQL tables are removed, on every exit path
 * (finally blocks and a shutdown hook).
 */

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

public class FaultLoad {
    static final List<String> SCENARIOS =
            List.of("kill-sqlite", "kill-postgresql", "sse", "slow", "two-servers", "rollup");
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<Process> PROCESSES = new CopyOnWriteArrayList<>();
    static final List<Runnable> CLEANUPS = new CopyOnWriteArrayList<>();
    static final AtomicBoolean CLEANED = new AtomicBoolean();
    /** Correctness failures (exit 1) and missed service targets (exit 3). */
    static final List<String> FAILURES = new CopyOnWriteArrayList<>();

    static final List<String> MISSED = new CopyOnWriteArrayList<>();
    static final List<Table> TABLES = new ArrayList<>();

    // Options (see usage()).
    static int secs = 10;
    static int writers = 64;
    static double killAt = 6;
    static int streams = 500;
    static int slow = 200;
    static int slowBodies = 50;
    static int healthSecs = 10;
    static int healthRate = 5;
    static boolean markdown;
    static String pgUrl;
    static Path jar;
    static Path tmp;
    static final HttpClient HTTP = client();

    public static void main(String[] args) throws Exception {
        List<String> chosen = new ArrayList<>();
        try {
            for (String a : args) {
                if (a.equals("-h") || a.equals("--help")) {
                    usage();
                    return;
                } else if (a.equals("--markdown")) {
                    markdown = true;
                } else if (a.startsWith("--")) {
                    option(a);
                } else if (SCENARIOS.contains(a)) {
                    chosen.add(a);
                } else {
                    throw new IllegalArgumentException("unknown scenario '" + a + "' (one of " + SCENARIOS + ")");
                }
            }
            if (killAt <= 0 || killAt >= secs) {
                throw new IllegalArgumentException("--kill-at must be between 0 and --secs");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("fault-load: " + e.getMessage());
            usage();
            System.exit(2);
        }
        if (chosen.isEmpty()) {
            chosen.addAll(SCENARIOS);
        }
        jar = Path.of(System.getProperty("tally.jar", "tally-cli/target/tally.jar"))
                .toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            System.err.println("fault-load: " + jar + " is missing; build it (scripts/fault-load.sh does)");
            System.exit(2);
        }
        if (pgUrl == null) {
            String env = System.getenv("TALLY_TEST_POSTGRES_URL");
            pgUrl = env == null || env.isBlank() ? "postgresql://postgres@127.0.0.1:5432/test" : env.trim();
        }
        tmp = Files.createTempDirectory("tally-fault-load-");
        CLEANUPS.add(() -> deleteTree(tmp));
        Runtime.getRuntime().addShutdownHook(new Thread(FaultLoad::cleanUp));
        System.out.println("fault-load " + Instant.now().toString().substring(0, 19) + "Z, " + chosen + ", "
                + Runtime.getRuntime().availableProcessors() + " cores, load " + loadAverage() + ", jar " + jar);
        try {
            for (String s : chosen) {
                long t0 = System.nanoTime();
                System.out.println("== " + s);
                try {
                    switch (s) {
                        case "kill-sqlite" -> killUnderLoad("sqlite", null);
                        case "kill-postgresql" -> killUnderLoad("postgresql", pgUrl);
                        case "sse" -> sseClients();
                        case "slow" -> slowConnections();
                        case "two-servers" -> twoServers();
                        case "rollup" -> rollup();
                        default -> throw new IllegalStateException(s);
                    }
                } catch (Exception e) {
                    fail(s + ": " + e);
                    e.printStackTrace(System.out);
                } finally {
                    killAll();
                }
                System.out.printf("   (%s took %.1f s)%n", s, (System.nanoTime() - t0) / 1e9);
            }
        } finally {
            cleanUp();
        }
        System.out.println();
        for (Table t : TABLES) {
            System.out.println(t.text());
        }
        if (markdown) {
            for (Table t : TABLES) {
                System.out.println(t.markdown());
            }
        }
        FAILURES.forEach(f -> System.out.println("FAILED: " + f));
        MISSED.forEach(m -> System.out.println("TARGET MISSED: " + m));
        if (!FAILURES.isEmpty()) {
            System.exit(1);
        }
        System.out.println(MISSED.isEmpty() ? "all checks passed" : "correctness checks passed; targets missed");
        System.exit(MISSED.isEmpty() ? 0 : 3);
    }

    static void usage() {
        System.out.println("""
            Usage: scripts/fault-load.sh [options] [scenario…]
            Scenarios (default: all): kill-sqlite kill-postgresql sse slow two-servers rollup
              --secs=10          writers' run time in the kill scenarios
              --writers=64       concurrent HTTP writers in the kill scenarios
              --kill-at=6        seconds into the run when the server is killed with SIGKILL
              --streams=500      event streams to open (also passed as --max-event-streams when the jar has it)
              --slow=200         slow half-open connections
              --slow-bodies=50   how many of them send their headers and part of a body (the rest part of a head)
              --health-secs=10   how long /health is polled under the slow connections
              --health-rate=5    /health polls per second
              --pg=URL           PostgreSQL store URL (default $TALLY_TEST_POSTGRES_URL or
                                 postgresql://postgres@127.0.0.1:5432/test); tables get a unique prefix, dropped after
              --markdown         also print the tables as markdown rows for docs/fault-and-load.md
            Exit: 0 all passed, 1 a correctness check failed, 2 usage/set-up error, 3 a service target missed.\
            """);
    }

    static void option(String a) {
        int eq = a.indexOf('=');
        if (eq < 0) {
            throw new IllegalArgumentException("options take a value: " + a + "=…");
        }
        String name = a.substring(2, eq);
        String v = a.substring(eq + 1);
        try {
            switch (name) {
                case "secs" -> secs = positive(name, Integer.parseInt(v));
                case "writers" -> writers = positive(name, Integer.parseInt(v));
                case "kill-at" -> killAt = Double.parseDouble(v);
                case "streams" -> streams = positive(name, Integer.parseInt(v));
                case "slow" -> slow = positive(name, Integer.parseInt(v));
                case "slow-bodies" -> slowBodies = Integer.parseInt(v);
                case "health-secs" -> healthSecs = positive(name, Integer.parseInt(v));
                case "health-rate" -> healthRate = positive(name, Integer.parseInt(v));
                case "pg" -> pgUrl = v;
                default -> throw new IllegalArgumentException("unknown option --" + name);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + ": not a number: " + v);
        }
        if (slowBodies < 0 || slowBodies > slow) {
            throw new IllegalArgumentException("--slow-bodies must be 0.." + slow);
        }
    }

    static int positive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException("--" + name + " must be positive");
        }
        return v;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 1. kill -9 under load

    /** Per job: what the writers sent and what they were told. */
    static final class Counts {
        final LongAdder sent = new LongAdder();
        final LongAdder acked = new LongAdder();
        final LongAdder refused = new LongAdder(); // an HTTP answer other than 2xx: nothing written
        final LongAdder unanswered = new LongAdder(); // no answer: the write may or may not have been committed
        final LongAdder notConnected = new LongAdder(); // connection refused: nothing reached a server
    }

    static void killUnderLoad(String label, String pgBase) throws Exception {
        String store;
        Path file = null;
        if (pgBase == null) {
            file = tmp.resolve("kill.db");
            store = "sqlite:" + file;
        } else {
            String prefix = "fl" + Long.toString(System.nanoTime() % 1_000_000_000L, 36) + "_";
            store = pgBase + (pgBase.contains("?") ? "&" : "?") + "tablePrefix=" + prefix;
            String jdbc = jdbcPostgres(pgBase);
            try (Connection c = DriverManager.getConnection(jdbc)) {
                c.isValid(2);
            } catch (Exception e) {
                String masked = pgBase.replaceFirst("//([^:@/]*):[^@/]*@", "//$1:***@");
                fail("kill-" + label + ": PostgreSQL at " + masked + " does not answer: " + e.getMessage());
                return;
            }
            CLEANUPS.add(() -> dropTables(jdbc, prefix));
        }
        Server server = new Server("kill-" + label, store, List.of());
        server.start();
        int jobs = 8;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < jobs; i++) {
            ids.add(createJob(server, "{\"name\":\"fl-anon-" + i + "\",\"start\":true}"));
        }
        String keyed = createJob(server, "{\"name\":\"fl-keyed\",\"start\":true}");
        Map<String, Counts> counts = new LinkedHashMap<>();
        ids.forEach(id -> counts.put(id, new Counts()));
        Counts keyedCounts = new Counts();
        Map<String, Boolean> keys = new ConcurrentHashMap<>(); // key -> acknowledged
        AtomicInteger inFlight = new AtomicInteger();
        LongAdder ackedAfterRestart = new LongAdder();
        AtomicBoolean restarted = new AtomicBoolean();
        long start = System.nanoTime();
        long end = start + secs * 1_000_000_000L;
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            Thread t = new Thread(
                    () -> {
                        String job = ids.get(writer % jobs);
                        Counts c = counts.get(job);
                        for (int n = 0; System.nanoTime() < end; n++) {
                            boolean isKeyed = n % 4 == 3; // one request in four records a keyed item
                            String key = "w" + writer + "-" + n;
                            Counts cc = isKeyed ? keyedCounts : c;
                            if (isKeyed) {
                                keys.put(key, false);
                            }
                            String body = isKeyed
                                    ? "{\"items\":[{\"key\":\"" + key + "\",\"outcome\":\"SUCCESS\"}]}"
                                    : "{\"succeeded\":1}";
                            cc.sent.increment();
                            inFlight.incrementAndGet();
                            Res r = call(
                                    server.url("/api/jobs/" + (isKeyed ? keyed : job) + "/progress"), "POST", body);
                            inFlight.decrementAndGet();
                            if (r.ok()) {
                                cc.acked.increment();
                                if (restarted.get()) {
                                    ackedAfterRestart.increment();
                                }
                                if (isKeyed) {
                                    keys.put(key, true);
                                }
                            } else if (r.status > 0) {
                                cc.refused.increment();
                            } else if (r.notConnected()) {
                                cc.notConnected.increment();
                                sleep(50); // the server is down: do not spin
                            } else {
                                cc.unanswered.increment();
                            }
                        }
                    },
                    "writer-" + w);
            t.start();
            threads.add(t);
        }
        sleep((long) (killAt * 1000));
        int inFlightAtKill = inFlight.get();
        server.kill();
        long killed = System.nanoTime();
        server.start(); // while the writers keep writing
        restarted.set(true);
        double restart = (System.nanoTime() - killed) / 1e9;
        for (Thread t : threads) {
            t.join();
        }
        // Keyed items the writers were not told about are retried, as a worker would: each key must count once.
        int retried = 0;
        for (Map.Entry<String, Boolean> e : keys.entrySet()) {
            if (!e.getValue()) {
                retried++;
                String body = "{\"items\":[{\"key\":\"" + e.getKey() + "\",\"outcome\":\"SUCCESS\"}]}";
                Res[] last = new Res[1];
                boolean through = awaitUntil(
                        2, () -> (last[0] = call(server.url("/api/jobs/" + keyed + "/progress"), "POST", body)).ok());
                if (!through) {
                    fail("kill-" + label + ": retrying key " + e.getKey() + " never succeeded: " + last[0]);
                }
            }
        }
        long sent = 0, acked = 0, refused = 0, unanswered = 0, notConnected = 0, stored = 0, lost = 0, extra = 0;
        for (Map.Entry<String, Counts> e : counts.entrySet()) {
            Counts c = e.getValue();
            long s = succeeded(server, e.getKey());
            long a = c.acked.sum();
            long u = c.unanswered.sum();
            long jobLost = Math.max(0, a - s);
            long jobExtra = Math.max(0, s - a);
            if (jobLost > 0) {
                fail("kill-" + label + ": job " + e.getKey() + " lost " + jobLost + " acknowledged increments (acked "
                        + a + ", stored " + s + ")");
            }
            if (jobExtra > u) {
                fail("kill-" + label + ": job " + e.getKey() + " stored " + jobExtra
                        + " more than acknowledged, but only " + u + " requests went unanswered");
            }
            sent += c.sent.sum();
            acked += a;
            refused += c.refused.sum();
            unanswered += u;
            notConnected += c.notConnected.sum();
            stored += s;
            lost += jobLost;
            extra += jobExtra;
        }
        long keyedStored = succeeded(server, keyed);
        if (keyedStored != keys.size()) {
            fail("kill-" + label + ": keyed job holds " + keyedStored + " items, " + keys.size()
                    + " distinct keys sent");
        }
        if (extra > inFlightAtKill) {
            fail("kill-" + label + ": " + extra + " stored without an answer, more than the " + inFlightAtKill
                    + " requests in flight at the kill");
        }
        server.stop();
        String integrity = "n/a";
        if (file != null) {
            integrity = integrityCheck(file);
            if (!integrity.equals("ok")) {
                fail("kill-" + label + ": integrity_check: " + integrity);
            }
        }
        long keyedSent = keyedCounts.sent.sum();
        table(
                        "kill -9 under load",
                        "store",
                        "writers",
                        "increments sent",
                        "acknowledged",
                        "refused",
                        "no answer",
                        "in flight at kill",
                        "stored",
                        "lost",
                        "extra",
                        "keyed: sent / acked / retried / distinct / stored",
                        "restart",
                        "acked after restart",
                        "integrity")
                .row(
                        label,
                        writers + " × " + secs + " s",
                        fmt(sent),
                        fmt(acked),
                        fmt(refused),
                        fmt(unanswered + notConnected) + " (" + fmt(notConnected) + " refused connection)",
                        String.valueOf(inFlightAtKill),
                        fmt(stored),
                        String.valueOf(lost),
                        String.valueOf(extra),
                        fmt(keyedSent) + " / " + fmt(keyedCounts.acked.sum()) + " / " + retried + " / "
                                + fmt(keys.size()) + " / " + fmt(keyedStored),
                        String.format("%.1f s", restart),
                        fmt(ackedAfterRestart.sum()),
                        integrity);
    }

    static long succeeded(Server s, String id) throws IOException {
        Res r = call(s.url("/api/jobs/" + id), "GET", null);
        if (!r.ok()) {
            throw new IOException("GET job " + id + ": " + r);
        }
        return JSON.readTree(r.body).path("succeeded").asLong();
    }

    static String integrityCheck(Path file) {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
            List<String> out = new ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return String.join("; ", out);
        } catch (Exception e) {
            return "error: " + e.getMessage();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 2. SSE clients

    static void sseClients() throws Exception {
        Server server =
                new Server("sse", "sqlite:" + tmp.resolve("sse.db"), List.of("--max-event-streams", "" + streams));
        String flag = "--max-event-streams " + streams;
        try {
            server.start();
        } catch (StartFailed e) {
            if (!e.log.contains("max-event-streams")) {
                throw e;
            }
            System.out.println(
                    "   tally serve refused " + flag + " (" + tail(e.log) + "); serving with the default cap");
            flag = e.log.contains("Unknown option") ? "none: not in this jar (default cap)" : "refused: default cap";
            server = new Server("sse", "sqlite:" + tmp.resolve("sse.db"), List.of());
            server.start();
        }
        HttpClient sse = client();
        List<Stream> list = new ArrayList<>();
        String marker = "fl-sse-marker-" + Long.toString(System.nanoTime(), 36);
        for (int i = 0; i < streams; i++) {
            Stream st = new Stream(marker);
            list.add(st);
            HttpRequest req = HttpRequest.newBuilder(URI.create(server.url("/api/events")))
                    .header("Accept", "text/event-stream")
                    .GET()
                    .build();
            sse.sendAsync(req, info -> {
                        st.status.set(info.statusCode());
                        return HttpResponse.BodySubscribers.fromLineSubscriber(st);
                    })
                    .whenComplete((r, e) -> {
                        if (e != null) {
                            st.error.compareAndSet(null, e.toString());
                        }
                        st.done.set(true);
                    });
        }
        // Until every stream has its answer: a status and, for 200, the opening snapshot.
        awaitUntil(30, () -> list.stream().noneMatch(s -> !s.done.get() && !(s.status.get() == 200 && s.snapshot.get())));
        long held = list.stream()
                .filter(s -> s.status.get() == 200 && s.snapshot.get() && !s.done.get())
                .count();
        long refused = list.stream().filter(s -> s.status.get() == 503).count();
        long other = streams - held - refused;
        // The API keeps answering while they are held: creates and progress from 8 threads for 5 s.
        createJob(server, "{\"name\":\"" + marker + "\"}");
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        LongAdder calls = new LongAdder();
        LongAdder errors = new LongAdder();
        long end = System.nanoTime() + 5_000_000_000L;
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Server sv = server;
            Thread th = new Thread(() -> {
                for (int n = 0; System.nanoTime() < end; n++) {
                    long t0 = System.nanoTime();
                    Res r = call(sv.url("/api/jobs"), "POST", "{\"name\":\"fl-sse-load\",\"start\":true}");
                    latencies.add(System.nanoTime() - t0);
                    calls.increment();
                    if (!r.ok()) {
                        errors.increment();
                        continue;
                    }
                    String id = idOf(r.body);
                    t0 = System.nanoTime();
                    Res p = call(sv.url("/api/jobs/" + id + "/progress"), "POST", "{\"succeeded\":1}");
                    latencies.add(System.nanoTime() - t0);
                    calls.increment();
                    if (!p.ok()) {
                        errors.increment();
                    }
                }
            });
            th.start();
            threads.add(th);
        }
        for (Thread t : threads) {
            t.join();
        }
        awaitUntil(10, () -> list.stream().noneMatch(s -> s.status.get() == 200 && !s.done.get() && !s.marker.get()));
        long receiving = list.stream()
                .filter(s -> s.status.get() == 200 && s.marker.get())
                .count();
        long stillOpen = list.stream()
                .filter(s -> s.status.get() == 200 && !s.done.get())
                .count();
        String errorSample = list.stream()
                .map(s -> s.error.get())
                .filter(e -> e != null)
                .findFirst()
                .orElse("");
        list.forEach(Stream::cancel);
        server.stop();
        if (receiving < held) {
            fail("sse: " + (held - receiving) + " of " + held + " held streams never got the created event");
        }
        if (stillOpen < held) {
            fail("sse: " + (held - stillOpen) + " held streams closed during the run");
        }
        if (errors.sum() > 0) {
            fail("sse: " + errors.sum() + " of " + calls.sum() + " API calls answered other than 2xx");
        }
        if (held < streams) {
            MISSED.add("sse: held " + held + " of " + streams + " streams, " + refused + " refused with 503, " + other
                    + " other" + (errorSample.isEmpty() ? "" : " (e.g. " + errorSample + ")"));
        }
        Lat l = new Lat(latencies);
        table(
                        "SSE clients held while the API answers",
                        "streams asked",
                        "server flag",
                        "held (200)",
                        "refused (503)",
                        "other",
                        "got the `created` event",
                        "still open",
                        "API calls",
                        "API non-2xx",
                        "API p50",
                        "API p99",
                        "API max")
                .row(
                        "" + streams,
                        "`" + flag + "`",
                        "" + held,
                        "" + refused,
                        "" + other,
                        "" + receiving,
                        "" + stillOpen,
                        fmt(calls.sum()),
                        "" + errors.sum(),
                        l.p(50),
                        l.p(99),
                        l.max());
    }

    /** One event stream: its status, the opening snapshot, the marker job's `created` event. */
    static final class Stream implements Flow.Subscriber<String> {
        final String markerData;
        final AtomicInteger status = new AtomicInteger();
        final AtomicBoolean snapshot = new AtomicBoolean();
        final AtomicBoolean marker = new AtomicBoolean();
        final AtomicBoolean done = new AtomicBoolean();
        final AtomicReference<String> error = new AtomicReference<>();
        volatile Flow.Subscription subscription;
        private String event = "";

        Stream(String markerName) {
            this.markerData = "\"name\":\"" + markerName + "\"";
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(String line) {
            if (line.startsWith("event: ")) {
                event = line.substring(7);
                if (event.equals("snapshot")) {
                    snapshot.set(true);
                }
            } else if (line.startsWith("data: ") && event.equals("created") && line.contains(markerData)) {
                marker.set(true);
            }
        }

        @Override
        public void onError(Throwable t) {
            error.compareAndSet(null, t.toString());
            done.set(true);
        }

        @Override
        public void onComplete() {
            done.set(true);
        }

        void cancel() {
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 3. Slow half-open connections

    static void slowConnections() throws Exception {
        Server server = new Server("slow", "sqlite:" + tmp.resolve("slow.db"), List.of());
        server.start();
        List<Socket> sockets = new ArrayList<>();
        int heads = slow - slowBodies;
        for (int i = 0; i < slow; i++) {
            Socket s = new Socket();
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port), 5000);
            String start = i < heads
                    ? "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-"
                    : "POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                            + "Content-Length: 100000\r\n\r\n{\"name\":\"slow-";
            s.getOutputStream().write(start.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            sockets.add(s);
        }
        // One byte a second on every connection, so none is idle long enough for the server to time it out.
        AtomicInteger dropped = new AtomicInteger();
        AtomicBoolean trickle = new AtomicBoolean(true);
        Thread trickler = new Thread(() -> {
            boolean[] gone = new boolean[sockets.size()];
            while (trickle.get()) {
                for (int i = 0; i < sockets.size(); i++) {
                    if (!gone[i]) {
                        try {
                            OutputStream o = sockets.get(i).getOutputStream();
                            o.write('a');
                            o.flush();
                        } catch (IOException e) {
                            gone[i] = true;
                            dropped.incrementAndGet();
                        }
                    }
                }
                sleep(1000);
            }
        });
        trickler.start();
        sleep(1000);
        // /health polled on a fixed schedule, each poll on a new connection, as a load balancer's probe would.
        int polls = healthSecs * healthRate;
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        LongAdder failed = new LongAdder();
        LongAdder slowAnswers = new LongAdder();
        ScheduledExecutorService probes = Executors.newScheduledThreadPool(32);
        CountDownLatch finished = new CountDownLatch(polls);
        for (int i = 0; i < polls; i++) {
            probes.schedule(
                    () -> {
                        long t0 = System.nanoTime();
                        int status = rawGet(server.port, "/health", 5000);
                        long took = System.nanoTime() - t0;
                        if (status == 200) {
                            latencies.add(took);
                            if (took > 1_000_000_000L) {
                                slowAnswers.increment();
                            }
                        } else {
                            failed.increment();
                        }
                        finished.countDown();
                    },
                    i * 1000L / healthRate,
                    TimeUnit.MILLISECONDS);
        }
        finished.await(healthSecs + 30L, TimeUnit.SECONDS);
        probes.shutdownNow();
        trickle.set(false);
        trickler.join();
        int open = 0;
        for (Socket s : sockets) {
            open += probeOpen(s) ? 1 : 0;
            s.close();
        }
        // A fresh answer after the slow connections closed: the server recovered.
        int after = rawGet(server.port, "/health", 5000);
        server.stop();
        Lat l = new Lat(latencies);
        if (failed.sum() > 0 || slowAnswers.sum() > 0 || l.nanos(99) > 1_000_000_000L) {
            MISSED.add("slow: /health under " + slow + " slow connections: " + failed.sum() + " of " + polls
                    + " polls failed (5 s timeout), " + slowAnswers.sum() + " took over 1 s, p99 " + l.p(99));
        }
        if (after != 200) {
            fail("slow: /health answered " + after + " after the slow connections closed");
        }
        table(
                        "slow half-open connections",
                        "slow connections",
                        "open at the end",
                        "/health polls",
                        "answered 200",
                        "failed (5 s)",
                        "over 1 s",
                        "p50",
                        "p99",
                        "max",
                        "after they close")
                .row(
                        slow + " (" + heads + " partial heads, " + slowBodies + " partial bodies)",
                        "" + open,
                        polls + " (" + healthRate + "/s × " + healthSecs + " s)",
                        "" + latencies.size(),
                        "" + failed.sum(),
                        "" + slowAnswers.sum(),
                        l.p(50),
                        l.p(99),
                        l.max(),
                        "" + after);
    }

    /** @return the status of a GET on a new connection that asks to be closed, or -1 on a time-out or error */
    static int rawGet(int port, String path, int timeoutMs) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), timeoutMs);
            s.setSoTimeout(timeoutMs);
            s.getOutputStream()
                    .write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            byte[] all = in.readAllBytes();
            String head = new String(all, 0, Math.min(all.length, 12), StandardCharsets.US_ASCII);
            return head.startsWith("HTTP/1.1 ") ? Integer.parseInt(head.substring(9, 12)) : -1;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** @return whether the server still holds the connection open (no EOF, no reset) */
    static boolean probeOpen(Socket s) {
        try {
            s.setSoTimeout(5);
            return s.getInputStream().read() != -1;
        } catch (java.net.SocketTimeoutException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Roll-up: a parent with 3,000 children read as fast as a plain job, within 3x

    static void rollup() throws Exception {
        Server server = new Server("rollup", "sqlite:" + tmp.resolve("rollup.db"), List.of());
        server.start();
        int children = 3000;
        String parent = createJob(server, "{\"name\":\"fl-parent\",\"total\":1,\"start\":true}");
        String plain = createJob(server, "{\"name\":\"fl-plain\",\"total\":1,\"start\":true}");
        for (int i = 0; i < children; i++) {
            createJob(server, "{\"name\":\"fl-child\",\"total\":2,\"parent\":\"" + parent + "\"}");
        }
        String parentUrl = server.url("/api/jobs/" + parent);
        String plainUrl = server.url("/api/jobs/" + plain);
        JsonNode rolled = JSON.readTree(call(parentUrl, "GET", null).body).path("rollup");
        if (rolled.path("total").asLong() != 1 + 2L * children) {
            fail("rollup: the parent's roll-up total is " + rolled.path("total") + ", not " + (1 + 2L * children));
        }
        List<Long> plainTimes = new ArrayList<>();
        List<Long> parentTimes = new ArrayList<>();
        int reads = 300;
        for (int i = 0; i < reads + 50; i++) { // 50 of warm-up, then alternately, so both see the same machine
            long t0 = System.nanoTime();
            Res a = call(plainUrl, "GET", null);
            long t1 = System.nanoTime();
            Res b = call(parentUrl, "GET", null);
            long t2 = System.nanoTime();
            if (!a.ok() || !b.ok()) {
                fail("rollup: a read failed: " + (a.ok() ? b : a));
                break;
            }
            if (i >= 50) {
                plainTimes.add(t1 - t0);
                parentTimes.add(t2 - t1);
            }
        }
        server.stop();
        Lat pl = new Lat(plainTimes);
        Lat pa = new Lat(parentTimes);
        double ratio = (double) pa.nanos(50) / pl.nanos(50);
        if (ratio > 3) {
            MISSED.add(String.format("rollup: a parent of %d children answers in %.1f× a plain job's time", children, ratio));
        }
        table("roll-up of a parent with many children", "children", "reads each", "plain job p50", "plain p99",
                        "parent p50", "parent p99", "parent ÷ plain (p50)")
                .row("" + children, "" + plainTimes.size(), pl.p(50), pl.p(99), pa.p(50), pa.p(99),
                        String.format("%.2f", ratio));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 4. Two servers on one SQLite file

    static void twoServers() throws Exception {
        Path file = tmp.resolve("two.db");
        Server a = new Server("two-a", "sqlite:" + file, List.of());
        Server b = new Server("two-b", "sqlite:" + file, List.of());
        a.start();
        b.start();
        int jobs = 10;
        int parts = 40;
        String partsJson = "[" + String.join(",", Collections.nCopies(parts, "{}")) + "]";
        List<String> ids = new ArrayList<>();
        for (int j = 0; j < jobs; j++) {
            ids.add(createJob(a, "{\"name\":\"fl-two-" + j + "\",\"start\":true,\"parts\":" + partsJson + "}"));
        }
        String counter = createJob(a, "{\"name\":\"fl-two-count\",\"start\":true}");
        // Every part completed twice, once through each server, in a shuffled order by 32 threads; and 800 increments
        // of one job, half through each server.
        List<Runnable> tasks = new ArrayList<>();
        Map<String, LongAdder> lasts = new ConcurrentHashMap<>();
        Map<String, LongAdder> changed = new ConcurrentHashMap<>();
        LongAdder completions = new LongAdder();
        LongAdder ok = new LongAdder();
        LongAdder errors = new LongAdder();
        LongAdder increments = new LongAdder();
        LongAdder incrementsAcked = new LongAdder();
        ids.forEach(id -> {
            lasts.put(id, new LongAdder());
            changed.put(id, new LongAdder());
        });
        for (String id : ids) {
            for (int p = 0; p < parts; p++) {
                for (Server s : List.of(a, b)) {
                    String url = s.url("/api/jobs/" + id + "/parts/" + p + "/complete");
                    tasks.add(() -> {
                        completions.increment();
                        Res r = call(url, "POST", null);
                        if (!r.ok()) {
                            errors.increment();
                            System.out.println("   complete: " + r);
                            return;
                        }
                        ok.increment();
                        try {
                            JsonNode n = JSON.readTree(r.body);
                            if (n.path("last").asBoolean()) {
                                lasts.get(id).increment();
                            }
                            if (n.path("changed").asBoolean()) {
                                changed.get(id).increment();
                            }
                        } catch (IOException e) {
                            errors.increment();
                        }
                    });
                }
            }
        }
        for (int i = 0; i < 800; i++) {
            String url = (i % 2 == 0 ? a : b).url("/api/jobs/" + counter + "/progress");
            tasks.add(() -> {
                increments.increment();
                Res r = call(url, "POST", "{\"succeeded\":1}");
                if (r.ok()) {
                    incrementsAcked.increment();
                } else {
                    errors.increment();
                    System.out.println("   progress: " + r);
                }
            });
        }
        Collections.shuffle(tasks, new Random(42));
        ExecutorService pool = Executors.newFixedThreadPool(32);
        long t0 = System.nanoTime();
        tasks.forEach(pool::execute);
        pool.shutdown();
        if (!pool.awaitTermination(120, TimeUnit.SECONDS)) {
            pool.shutdownNow();
            fail("two-servers: the writers did not finish in 120 s");
        }
        double took = (System.nanoTime() - t0) / 1e9;
        int exactlyOne = 0;
        int settled = 0;
        for (String id : ids) {
            long l = lasts.get(id).sum();
            if (l == 1) {
                exactlyOne++;
            } else {
                fail("two-servers: job " + id + " got " + l + " answers with last=true");
            }
            if (changed.get(id).sum() != parts) {
                fail("two-servers: job " + id + ": " + changed.get(id).sum() + " completions changed a part, expected "
                        + parts);
            }
            boolean allGood = true;
            for (Server s : List.of(a, b)) {
                JsonNode job = JSON.readTree(call(s.url("/api/jobs/" + id), "GET", null).body);
                Res pending = call(s.url("/api/jobs/" + id + "/parts?state=pending"), "GET", null);
                int pendingParts = JSON.readTree(pending.body).path("parts").size();
                if (job.path("succeeded").asLong() != parts
                        || !job.path("state").asText().equals("SUCCEEDED")
                        || pendingParts != 0) {
                    allGood = false;
                    fail("two-servers: job " + id + " read from " + s.name + ": succeeded "
                            + job.path("succeeded").asLong() + ", state "
                            + job.path("state").asText() + ", "
                            + pendingParts + " pending parts");
                }
            }
            settled += allGood ? 1 : 0;
        }
        long countA = succeeded(a, counter);
        long countB = succeeded(b, counter);
        if (countA != incrementsAcked.sum()
                || countB != incrementsAcked.sum()
                || incrementsAcked.sum() != increments.sum()) {
            fail("two-servers: increments sent " + increments.sum() + ", acknowledged " + incrementsAcked.sum()
                    + ", stored " + countA + " (server a) / " + countB + " (server b)");
        }
        if (errors.sum() > 0) {
            fail("two-servers: " + errors.sum() + " calls answered other than 2xx");
        }
        a.stop();
        b.stop();
        String integrity = integrityCheck(file);
        if (!integrity.equals("ok")) {
            fail("two-servers: integrity_check: " + integrity);
        }
        table(
                        "two servers on one SQLite file",
                        "jobs × parts",
                        "completions (each part twice, both servers)",
                        "2xx",
                        "parts changed",
                        "jobs with exactly one `last`",
                        "jobs SUCCEEDED, 0 pending (read on both)",
                        "increments sent / acked / stored a / stored b",
                        "took",
                        "integrity")
                .row(
                        jobs + " × " + parts,
                        fmt(completions.sum()),
                        fmt(ok.sum()),
                        fmt(changed.values().stream().mapToLong(LongAdder::sum).sum()),
                        exactlyOne + " of " + jobs,
                        settled + " of " + jobs,
                        increments.sum() + " / " + incrementsAcked.sum() + " / " + countA + " / " + countB,
                        String.format("%.1f s", took),
                        integrity);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Servers, HTTP, clean-up

    static final class StartFailed extends IOException {
        final String log;

        StartFailed(String message, String log) {
            super(message);
            this.log = log;
        }
    }

    /** A `tally serve` process of the shaded jar, on a fixed port so a restart answers at the same address. */
    static final class Server {
        final String name;
        final String store;
        final List<String> extra;
        final int port;
        final Path log;
        Process process;

        Server(String name, String store, List<String> extra) throws IOException {
            this.name = name;
            this.store = store;
            this.extra = extra;
            this.port = freePort();
            this.log = tmp.resolve(name + ".log");
        }

        String url(String path) {
            return "http://127.0.0.1:" + port + path;
        }

        void start() throws IOException {
            List<String> cmd = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx512m",
                    "-Xlog:disable",
                    "-Xlog:all=warning:stderr",
                    "-jar",
                    jar.toString(),
                    "serve",
                    "--store",
                    store,
                    "--port",
                    String.valueOf(port)));
            cmd.addAll(extra);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            process = pb.start();
            PROCESSES.add(process);
            if (awaitUntil(90, () -> !process.isAlive() || rawGet(port, "/health", 1000) == 200) && process.isAlive()) {
                return;
            }
            String text = Files.readString(log);
            if (!process.isAlive()) {
                throw new StartFailed(name + ": tally serve exited with " + process.exitValue() + ": " + tail(text), text);
            }
            throw new IOException(name + ": no /health answer within 90 s: " + tail(text));
        }

        /** SIGKILL, as `kill -9`. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor();
        }

        /** SIGTERM: the server's shutdown hook closes the store. */
        void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
            printErrors();
        }

        /** Prints the server's ERROR lines and what follows each (its stack), so a failed check can be traced. */
        void printErrors() {
            try {
                List<String> lines = Files.readAllLines(log);
                for (int i = 0; i < lines.size(); i++) {
                    if (lines.get(i).contains(" ERROR ")) {
                        System.out.println("   " + name + " logged: " + lines.get(i));
                        for (int k = i + 1; k < Math.min(lines.size(), i + 12); k++) {
                            System.out.println("      " + lines.get(k));
                        }
                    }
                }
            } catch (IOException e) {
                System.out.println("   " + name + ": cannot read its log: " + e);
            }
        }
    }

    static String tail(String text) {
        String[] lines = text.strip().split("\n");
        return String.join(" | ", List.of(lines).subList(Math.max(0, lines.length - 3), lines.length));
    }

    record Res(int status, String body, Throwable error) {
        boolean ok() {
            return status >= 200 && status < 300;
        }

        boolean notConnected() {
            for (Throwable t = error; t != null; t = t.getCause()) {
                if (t instanceof ConnectException) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String toString() {
            return status > 0 ? status + " " + body : String.valueOf(error);
        }
    }

    static HttpClient client() {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** One call; a body is sent as JSON. Never throws: an error without an HTTP answer is status -1. */
    static Res call(String url, String method, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15));
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        try {
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Res(r.statusCode(), r.body(), null);
        } catch (IOException e) {
            return new Res(-1, null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Res(-1, null, e);
        }
    }

    static String createJob(Server s, String spec) throws IOException {
        Res r = call(s.url("/api/jobs"), "POST", spec);
        if (r.status != 201) {
            throw new IOException("create " + spec + ": " + r);
        }
        return idOf(r.body);
    }

    static String idOf(String body) {
        try {
            return JSON.readTree(body).path("id").asText();
        } catch (IOException e) {
            throw new IllegalStateException(body, e);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** postgresql://user:pass@host:port/db?… → the JDBC URL the driver in the jar takes. */
    static String jdbcPostgres(String url) {
        URI u = URI.create(url.replaceFirst("^postgres(ql)?://", "http://"));
        StringBuilder j = new StringBuilder(
                "jdbc:postgresql://" + u.getHost() + ":" + (u.getPort() < 0 ? 5432 : u.getPort()) + u.getPath());
        String info = u.getUserInfo();
        if (info != null) {
            String[] up = info.split(":", 2);
            j.append("?user=").append(up[0]);
            if (up.length > 1) {
                j.append("&password=").append(up[1]);
            }
        }
        return j.toString();
    }

    static void dropTables(String jdbc, String prefix) {
        try (Connection c = DriverManager.getConnection(jdbc);
                Statement s = c.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                    + " AND starts_with(tablename, '" + prefix + "')")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            for (String t : tables) {
                s.execute("DROP TABLE IF EXISTS \"" + t + "\" CASCADE");
            }
            System.out.println("   dropped " + tables.size() + " PostgreSQL tables " + prefix + "*");
        } catch (Exception e) {
            System.err.println("fault-load: could not drop the tables " + prefix + "*: " + e);
        }
    }

    static void killAll() {
        for (Process p : PROCESSES) {
            if (p.isAlive()) {
                p.destroyForcibly();
                try {
                    p.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        PROCESSES.clear();
    }

    static void cleanUp() {
        killAll();
        if (CLEANED.compareAndSet(false, true)) {
            List<Runnable> all = new ArrayList<>(CLEANUPS);
            Collections.reverse(all); // tables before the folder
            for (Runnable r : all) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    System.err.println("fault-load: clean-up: " + e);
                }
            }
        }
    }

    static void deleteTree(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("fault-load: could not delete " + dir + ": " + e);
        }
    }

    /**
     * Polls {@code done} every 100 ms until it holds or {@code seconds} passed (what Awaitility does in the tests; this
     * single-file program has only the JDK and the shaded jar).
     *
     * @return whether it held
     */
    static boolean awaitUntil(int seconds, java.util.function.BooleanSupplier done) {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > until) {
                return false;
            }
            sleep(100);
        }
        return true;
    }

    /** Pauses the load itself: a writer's back-off, the trickle of a slow client, the kill at its time in the run. */
    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void fail(String message) {
        FAILURES.add(message);
        System.out.println("   FAILED: " + message);
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    static String fmt(long n) {
        return String.format("%,d", n);
    }

    /** Latency percentiles, nearest rank. */
    static final class Lat {
        final long[] sorted;

        Lat(List<Long> nanos) {
            synchronized (nanos) {
                sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
            }
        }

        long nanos(int pct) {
            return sorted.length == 0 ? 0 : sorted[Math.max(0, (int) Math.ceil(pct / 100.0 * sorted.length) - 1)];
        }

        String p(int pct) {
            return sorted.length == 0 ? "–" : ms(nanos(pct));
        }

        String max() {
            return sorted.length == 0 ? "–" : ms(sorted[sorted.length - 1]);
        }

        static String ms(long nanos) {
            return nanos >= 1_000_000_000L
                    ? String.format("%.2f s", nanos / 1e9)
                    : String.format("%.1f ms", nanos / 1e6);
        }
    }

    static Table table(String title, String... headers) {
        for (Table t : TABLES) {
            if (t.title.equals(title)) {
                return t;
            }
        }
        Table t = new Table(title, headers);
        TABLES.add(t);
        return t;
    }

    /** A titled table, printed aligned or as markdown rows. */
    static final class Table {
        final String title;
        final String[] headers;
        final List<String[]> rows = new ArrayList<>();

        Table(String title, String[] headers) {
            this.title = title;
            this.headers = headers;
        }

        Table row(String... cells) {
            rows.add(cells);
            System.out.println("   " + String.join(", ", zip(cells)));
            return this;
        }

        List<String> zip(String[] cells) {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < cells.length; i++) {
                out.add(headers[i] + ": " + cells[i]);
            }
            return out;
        }

        String text() {
            int[] w = new int[headers.length];
            for (int i = 0; i < w.length; i++) {
                w[i] = headers[i].length();
                for (String[] r : rows) {
                    w[i] = Math.max(w[i], r[i].length());
                }
            }
            StringBuilder sb = new StringBuilder(title).append('\n');
            List<String[]> all = new ArrayList<>();
            all.add(headers);
            all.addAll(rows);
            for (String[] r : all) {
                for (int i = 0; i < r.length; i++) {
                    sb.append(i == 0 ? "  " : " | ").append(String.format("%-" + w[i] + "s", r[i]));
                }
                sb.append('\n');
            }
            return sb.toString();
        }

        String markdown() {
            StringBuilder sb = new StringBuilder("**" + title + "**\n\n| " + String.join(" | ", headers) + " |\n|");
            sb.append("---|".repeat(headers.length)).append('\n');
            for (String[] r : rows) {
                sb.append("| ").append(String.join(" | ", r)).append(" |\n");
            }
            return sb.toString();
        }
    }
}
