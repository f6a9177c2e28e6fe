package io.tally.bench;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.tally.EventFilter;
import io.tally.Job;
import io.tally.JobSpec;
import io.tally.Outcome;
import io.tally.StoreUnavailableException;
import io.tally.Subscription;
import io.tally.Tally;
import io.tally.store.ItemUpdate;
import io.tally.store.ProgressUpdate;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Load driver for the Redis store: Tally's {@code recordSuccess()} (anonymous), {@code recordSuccess(key)} and {@code
 * recordSuccessAsync(key)} (keyed), {@code completePart}, {@code completePartAsync}, {@code progress()} reads and the
 * batch APIs ({@code completeParts(jobId, int...)} and one {@code record} with many keyed items), at several numbers of
 * calls in flight (one blocking caller thread per call in flight, Lettuce's one shared connection pipelining them; for
 * the async cells, one lane per call in flight, each sending its next call from the callback of the one before).
 * Each cell also reports this JVM's and Redis's CPU and the scripts' time per call. Each Tally figure is shown next
 * to the server's raw limit, measured in the same run against the same server at the same concurrency:
 *
 * <ul>
 *   <li>{@code redis-benchmark -c N -P 1} running the minimal progress script by EVALSHA ({@code HINCRBY} of a counter,
 *       {@code HSET} of {@code updatedAt}, {@code PUBLISH} of a small event), and a plain {@code HINCRBY};
 *   <li>a bare Lettuce client (same kind of shared connection) running that minimal script by EVALSHA, with N blocking
 *       threads and with N async lanes: each Tally cell is compared with the one of its own mode.
 * </ul>
 *
 * Every caller works on its own job (redis-benchmark's clients on {@code -r N} random keys), so the figures measure
 * the cost of an operation, except in the "one job" keyed cells (many workers recording one job's items) and the part
 * cells, where all callers complete parts of one job (map-reduce). Each
 * cell runs a warm-up, then counts completed calls for a fixed time; redis-benchmark gets a request count sized from a
 * short calibration run so that it also runs about that long. Everything lives in
 * a scratch namespace whose keys are removed before and after the run.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.tally.bench.RedisBench [--secs=10] [--warmup=3] [--clients=1,16,256]
 * [--batch-clients=1,16] [--batch=1000] [--url=redis://127.0.0.1:6379] [--namespace=tally-bench]
 * [--only=raw,anonymous,keyed,part,progress,batch]}
 *
 * <p>One harness of some 850 lines on purpose: every cell is a row of one table, measured against the raw limits and
 * with the CPU accounting of the same run, so the cells share the run's clients, references and report; a cell is a
 * few lines in {@code run()} and one row in the table's list.
 */
public final class RedisBench {
    /** The minimal progress script: what one tick of progress costs Redis without Tally's bookkeeping. */
    static final String MINIMAL_SCRIPT = "redis.call('HINCRBY', KEYS[1], 'succeeded', 1)\n"
            + "redis.call('HSET', KEYS[1], 'updatedAt', ARGV[1])\n"
            + "redis.call('PUBLISH', ARGV[2], ARGV[3])\n"
            + "return 1\n";

    private static final Pattern RPS = Pattern.compile("([0-9.]+) requests per second");
    private static final int PARTS_PER_JOB = 100_000;

    private final int secs;
    private final int warmup;
    private final List<Integer> clients;
    private final List<Integer> batchClients;
    private final int batch;
    private final String url;
    private final String host;
    private final int port;
    private final String namespace;
    private final List<String> only;
    private final Map<String, Double> results = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    /** Per measured cell: what the JVM and Redis spent on it (markdown rows). */
    private final List<String> costs = new ArrayList<>();

    private RedisClient client;
    private StatefulRedisConnection<String, String> raw;
    private Tally tally;
    private String minimalSha;

    @FunctionalInterface
    interface Op {
        /** One call by caller {@code thread}; returns the units it did (1, or the batch size). */
        long run(int thread) throws Exception;
    }

    private RedisBench(Map<String, String> opts) {
        secs = Integer.parseInt(opts.getOrDefault("secs", "10"));
        warmup = Integer.parseInt(opts.getOrDefault("warmup", "3"));
        clients = DriverArgs.ints(opts.getOrDefault("clients", "1,16,256"));
        batchClients = DriverArgs.ints(opts.getOrDefault("batch-clients", "1,16"));
        batch = Integer.parseInt(opts.getOrDefault("batch", "1000"));
        url = opts.getOrDefault("url", System.getenv().getOrDefault("TALLY_TEST_REDIS_URL", "redis://127.0.0.1:6379"));
        java.net.URI u = java.net.URI.create(url);
        host = u.getHost();
        port = u.getPort() < 0 ? 6379 : u.getPort();
        namespace = opts.getOrDefault("namespace", "tally-bench");
        only = List.of(opts.getOrDefault("only", "raw,anonymous,keyed,part,progress,batch")
                .split(","));
    }

    /** @param args {@code --name=value} options, see the class comment */
    public static void main(String[] args) throws Exception {
        Map<String, String> opts = DriverArgs.parse(args);
        RedisBench b = new RedisBench(opts);
        String loadBefore = DriverArgs.loadAverage();
        long started = System.nanoTime();
        b.run();
        b.print(loadBefore, DriverArgs.loadAverage(), (System.nanoTime() - started) / 1e9);
        System.exit(0);
    }

    private void run() throws Exception {
        client = RedisClient.create(url);
        raw = client.connect(StringCodec.UTF8);
        String base = url.contains("?") ? url + "&" : url + "?";
        tally = Tally.open(base + "namespace=" + namespace);
        try {
            cleanNamespace();
            RedisCommands<String, String> sync = raw.sync();
            minimalSha = sync.scriptLoad(MINIMAL_SCRIPT);
            String info = sync.info("server");
            Matcher m = Pattern.compile("redis_version:(\\S+)").matcher(info);
            System.err.printf(
                    "Redis %s at %s, namespace %s, %d s per cell after %d s warm-up%n",
                    m.find() ? m.group(1) : "?", url, namespace, secs, warmup);
            for (int n : clients) {
                cell(n);
            }
            if (only.contains("batch")) {
                for (int n : batchClients) {
                    batchCell(n);
                }
            }
        } finally {
            tally.close();
            cleanNamespace();
            raw.close();
            client.shutdown();
        }
    }

    private void cell(int n) throws Exception {
        String hashTag = "{" + namespace + "}";
        String channel = hashTag + ":raw-events";
        String event = "{\"id\":\"raw\",\"events\":[{\"type\":\"PROGRESS\"}]}";
        String now = Long.toString(System.currentTimeMillis());
        if (only.contains("raw")) {
            RedisCommands<String, String> sync = raw.sync();
            String[][] keys = new String[n][];
            for (int i = 0; i < n; i++) {
                keys[i] = new String[] {hashTag + ":raw:" + i};
            }
            put("lettuce-minimal", n, measure("bare Lettuce, minimal script", n, t -> {
                sync.evalsha(minimalSha, ScriptOutputType.INTEGER, keys[t], now, channel, event);
                return 1;
            }));
            // The same without blocking: n lanes, each sending its next call from the callback of the one before.
            RedisAsyncCommands<String, String> async = raw.async();
            AtomicLong turn = new AtomicLong();
            try (Lanes lanes = new Lanes(
                    n,
                    () -> async.evalsha(
                                    minimalSha,
                                    ScriptOutputType.INTEGER,
                                    keys[(int) (turn.incrementAndGet() % n)],
                                    now,
                                    channel,
                                    event)
                            .toCompletableFuture())) {
                put("lettuce-minimal-async", n, measure("bare Lettuce async, minimal script", n, 1, lanes));
            }
            put(
                    "rb-minimal",
                    n,
                    redisBenchmark(n, "EVALSHA", minimalSha, "1", hashTag + ":raw:__rand_int__", now, channel, event));
            put("rb-hincrby", n, redisBenchmark(n, "HINCRBY", hashTag + ":raw:__rand_int__", "succeeded", "1"));
        }
        if (only.contains("anonymous")) {
            Job[] jobs = counterJobs(n);
            put("anonymous", n, measure("Tally recordSuccess()", n, t -> {
                jobs[t].recordSuccess();
                return 1;
            }));
            AtomicLong call = new AtomicLong();
            try (Lanes lanes = new Lanes(n, () -> jobs[(int) (call.incrementAndGet() % n)].recordSuccessAsync())) {
                put("anonymous-async", n, measure("Tally recordSuccessAsync()", n, 1, lanes));
            }
            delete(jobs);
        }
        if (only.contains("keyed")) {
            Job[] jobs = counterJobs(n);
            AtomicLong key = new AtomicLong();
            put("keyed", n, measure("Tally recordSuccess(key)", n, t -> {
                jobs[t].recordSuccess("item-" + key.incrementAndGet());
                return 1;
            }));
            delete(jobs);
        }
        if (only.contains("keyed")) {
            Job[] jobs = counterJobs(n);
            AtomicLong key = new AtomicLong();
            try (Lanes lanes = new Lanes(n, () -> {
                long k = key.incrementAndGet();
                return jobs[(int) (k % n)].recordSuccessAsync("item-" + k);
            })) {
                put("keyed-async", n, measure("Tally recordSuccessAsync(key)", n, 1, lanes));
            }
            delete(jobs);
            // All callers on one job: a job's items recorded by many workers at once (batches then share the job).
            Job shared = counterJobs(1)[0];
            put("keyed-shared", n, measure("Tally recordSuccess(key), one job", n, t -> {
                shared.recordSuccess("item-" + key.incrementAndGet());
                return 1;
            }));
            try (Lanes lanes = new Lanes(n, () -> shared.recordSuccessAsync("item-" + key.incrementAndGet()))) {
                put("keyed-shared-async", n, measure("Tally recordSuccessAsync(key), one job", n, 1, lanes));
            }
            delete(new Job[] {shared});
        }
        if (only.contains("keyed") && n == 16) {
            // The same with a live subscriber: then every write also encodes and publishes the job (see the README).
            Job[] jobs = counterJobs(n);
            AtomicLong key = new AtomicLong();
            AtomicLong heard = new AtomicLong();
            try (Subscription sub = tally.subscribe(EventFilter.all(), e -> heard.incrementAndGet())) {
                put("keyed-subscribed", n, measure("Tally recordSuccess(key), subscribed", n, t -> {
                    jobs[t].recordSuccess("item-" + key.incrementAndGet());
                    return 1;
                }));
            }
            delete(jobs);
        }
        if (only.contains("part")) {
            PartFeed feed = new PartFeed(n == 1 ? 1 : jobsFor(100_000));
            put("part", n, measure("Tally completePart", n, t -> {
                int[] jp = feed.next(1);
                tally.completePart(feed.job(jp[0]), jp[1]);
                return 1;
            }));
            noteGrowth("completePart", n, feed);
            feed.close();
            // The same with n calls in flight without blocking: each sends the next from its callback.
            PartFeed async = new PartFeed(jobsFor(n == 1 ? 20_000 : 150_000));
            try (Lanes lanes = new Lanes(
                    n,
                    () -> async.nextWithoutBlocking(1)
                            .thenCompose(jp -> tally.completePartAsync(async.job(jp[0]), jp[1])))) {
                put("part-async", n, measure("Tally completePartAsync", n, 1, lanes));
            }
            noteGrowth("completePartAsync", n, async);
            async.close();
        }
        if (only.contains("progress")) {
            Job[] jobs = counterJobs(n);
            for (Job j : jobs) {
                j.recordSuccess("one");
            }
            put("progress", n, measure("Tally progress()", n, t -> {
                jobs[t].progress();
                return 1;
            }));
            delete(jobs);
        }
    }

    private void batchCell(int n) throws Exception {
        PartFeed feed = new PartFeed(jobsFor(500_000));
        put("parts-batch", n, measure("Tally completeParts(" + batch + ")", n, t -> {
            int[] jp = feed.next(batch);
            int[] parts = new int[batch];
            for (int i = 0; i < batch; i++) {
                parts[i] = jp[1] + i;
            }
            tally.completeParts(feed.job(jp[0]), parts);
            return batch;
        }));
        noteGrowth("completeParts", n, feed);
        feed.close();
        Job[] jobs = counterJobs(n);
        AtomicLong key = new AtomicLong();
        put("items-batch", n, measure("Tally record(" + batch + " items)", n, t -> {
            long from = key.getAndAdd(batch);
            List<ItemUpdate> items = new ArrayList<>(batch);
            for (int i = 0; i < batch; i++) {
                items.add(new ItemUpdate("item-" + (from + i), Outcome.SUCCESS, null));
            }
            jobs[t].record(new ProgressUpdate(0, 0, items, 0, null));
            return batch;
        }));
        delete(jobs);
    }

    /**
     * Hands out parts of jobs with {@value #PARTS_PER_JOB} parts each (part batches never cross a job), creating the
     * next job when one is used up: the creation is counted in the measured time (it happens rarely and is noted).
     */
    private final class PartFeed {
        private final List<String> jobs = Collections.synchronizedList(new ArrayList<>());
        private final AtomicLong cursor = new AtomicLong();
        private final AtomicInteger created = new AtomicInteger();

        /** @param ahead jobs created up front, outside the measured time */
        PartFeed(int ahead) {
            grow(ahead - 1);
            created.set(0);
        }

        /** @return jobs that had to be created while callers were running */
        int createdLater() {
            return created.get();
        }

        String job(int index) {
            return jobs.get(index);
        }

        /** @return {job index, first part} of {@code count} consecutive parts */
        int[] next(int count) {
            int[] jp = claim(count);
            if (jp[0] >= jobs.size()) {
                grow(jp[0]);
            }
            return jp;
        }

        /**
         * {@link #next} for a caller that must not block (a callback on the store's I/O thread, where a blocking store
         * call is refused): a job that has to be created first is created on another thread.
         */
        CompletableFuture<int[]> nextWithoutBlocking(int count) {
            int[] jp = claim(count);
            if (jp[0] < jobs.size()) {
                return CompletableFuture.completedFuture(jp);
            }
            return CompletableFuture.supplyAsync(() -> {
                grow(jp[0]);
                return jp;
            });
        }

        private int[] claim(int count) {
            int perJob = PARTS_PER_JOB / count * count;
            long at = cursor.getAndAdd(count);
            return new int[] {(int) (at / perJob), (int) (at % perJob)};
        }

        private synchronized void grow(int index) {
            while (jobs.size() <= index) {
                jobs.add(tally.create(JobSpec.builder()
                                .name("bench-parts")
                                .parts(Collections.nCopies(PARTS_PER_JOB, Map.of()))
                                .build())
                        .id());
                created.incrementAndGet();
            }
        }

        void close() {
            for (String id : List.copyOf(jobs)) {
                tally.delete(id);
            }
            awaitFreed();
        }
    }

    /**
     * @return jobs of {@link #PARTS_PER_JOB} parts to create before a cell, enough for {@code partsPerSecond} through
     *     the warm-up and the measured time: creating a job of 100,000 parts takes long enough to distort the figure
     *     if it happens while the callers run
     */
    private int jobsFor(int partsPerSecond) {
        return (int) Math.ceil((double) partsPerSecond * (secs + warmup) / PARTS_PER_JOB);
    }

    private void noteGrowth(String what, int n, PartFeed feed) {
        if (feed.createdLater() > 0) {
            notes.add(String.format(
                    Locale.ROOT,
                    "%s at %d in flight: %d more jobs of %,d parts were created while the callers ran (warm-up"
                            + " included); their creation is counted in the measured time.",
                    what,
                    n,
                    feed.createdLater(),
                    PARTS_PER_JOB));
        }
    }

    private Job[] counterJobs(int n) {
        Job[] jobs = new Job[n];
        for (int i = 0; i < n; i++) {
            jobs[i] = tally.create(JobSpec.builder().name("bench").start(true).build());
        }
        return jobs;
    }

    private void delete(Job[] jobs) {
        for (Job j : jobs) {
            tally.delete(j.id());
        }
        awaitFreed();
    }

    /**
     * Waits (up to 60 s) until Redis has freed what the last cell deleted: a job's keys are UNLINKed and freed by a
     * background thread, which would otherwise take CPU from the next cell.
     */
    private void awaitFreed() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String memory = raw.sync().info("memory");
            if (memory.contains("lazyfree_pending_objects:0")) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    /** Runs {@code op} on {@code n} threads: a warm-up, then counts units for {@code secs}. @return units/s */
    private double measure(String what, int n, Op op) throws Exception {
        return measure(what, n, n, op);
    }

    /**
     * Keeps {@code n} asynchronous calls in flight the way a non-blocking worker does: {@code n} lanes, each sending its
     * next call from the callback of the one before (no thread hand-off). As an {@link Op} for one thread, each run
     * waits a millisecond and returns the calls answered since the run before; a failed call is thrown by the next
     * run. {@link #close} stops the lanes and waits for their last calls.
     */
    private static final class Lanes implements Op, AutoCloseable {
        private final Supplier<CompletableFuture<?>> call;
        private final AtomicLong answered = new AtomicLong();
        private final AtomicReference<Throwable> failed = new AtomicReference<>();
        private final AtomicBoolean stopped = new AtomicBoolean();
        private final Phaser running = new Phaser(1);

        Lanes(int n, Supplier<CompletableFuture<?>> call) {
            this.call = call;
            for (int i = 0; i < n; i++) {
                running.register();
                next();
            }
        }

        private void next() {
            if (stopped.get()) {
                running.arriveAndDeregister();
                return;
            }
            CompletableFuture<?> sent;
            try {
                sent = call.get();
            } catch (RuntimeException e) {
                failed.compareAndSet(null, e); // thrown by the next run; this lane ends
                running.arriveAndDeregister();
                return;
            }
            sent.whenComplete((r, e) -> {
                if (e == null) {
                    answered.incrementAndGet();
                } else {
                    failed.compareAndSet(null, e);
                }
                next();
            });
        }

        @Override
        public long run(int thread) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            Throwable f = failed.getAndSet(null);
            if (f != null) {
                Throwable cause = f instanceof CompletionException ? f.getCause() : f;
                throw cause instanceof RuntimeException e ? e : new IllegalStateException(cause);
            }
            return answered.getAndSet(0);
        }

        @Override
        public void close() throws Exception {
            stopped.set(true);
            running.awaitAdvanceInterruptibly(running.arrive(), 60, TimeUnit.SECONDS);
        }
    }

    /** Runs {@code op} on {@code threads} threads (n calls in flight): a warm-up, then counts units. @return units/s */
    private double measure(String what, int n, int threads, Op op) throws Exception {
        AtomicBoolean counting = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong units = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(threads);
        List<Thread> callers = new ArrayList<>(threads);
        for (int i = 0; i < threads; i++) {
            int t = i;
            Thread th = new Thread(
                    () -> {
                        try {
                            long mine = 0;
                            boolean wasCounting = false;
                            while (!stop.get()) {
                                long u;
                                try {
                                    u = op.run(t);
                                } catch (StoreUnavailableException | RedisException e) {
                                    // A lost connection or a timeout: counted and noted, not fatal.
                                    errors.incrementAndGet();
                                    continue;
                                }
                                boolean c = counting.get();
                                if (c && !wasCounting) {
                                    wasCounting = true;
                                    mine = 0; // the call that straddled the start is not counted
                                } else if (c) {
                                    mine += u;
                                }
                            }
                            units.addAndGet(mine);
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        } finally {
                            done.countDown();
                        }
                    },
                    "bench-" + i);
            th.setDaemon(true);
            callers.add(th);
        }
        callers.forEach(Thread::start);
        Thread.sleep(TimeUnit.SECONDS.toMillis(warmup));
        counting.set(true);
        ServerSample before = ServerSample.take(raw.sync());
        long jvmCpuBefore = jvmCpuNanos();
        long start = System.nanoTime();
        Thread.sleep(TimeUnit.SECONDS.toMillis(secs));
        long elapsed = System.nanoTime() - start;
        ServerSample after = ServerSample.take(raw.sync());
        double jvmCpu = (jvmCpuNanos() - jvmCpuBefore) / (double) elapsed;
        stop.set(true);
        if (!done.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException(what + ": callers did not stop");
        }
        if (failure.get() != null) {
            throw new IllegalStateException(what + " failed", failure.get());
        }
        double rate = units.get() / (elapsed / 1e9);
        if (errors.get() > 0) {
            notes.add(String.format(
                    Locale.ROOT,
                    "%s at %d in flight: %d calls failed (StoreUnavailableException or RedisException: a lost"
                            + " connection or a timeout) and were not counted.",
                    what,
                    n,
                    errors.get()));
        }
        String cost = String.format(
                Locale.ROOT, "this JVM %.0f %% CPU; %s", jvmCpu * 100, after.since(before, units.get(), elapsed / 1e9));
        costs.add(String.format(Locale.ROOT, "| %s | %d | %,.0f | %s |", what, n, rate, cost));
        System.err.printf(Locale.ROOT, "%-40s %4d in flight: %,12.0f /s   (%s)%n", what, n, rate, cost);
        return rate;
    }

    /** @return CPU time this JVM has used, all threads */
    private static long jvmCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** Redis's own accounting at one moment: main-thread CPU and its EVALSHA calls and time. */
    private record ServerSample(double cpuSeconds, long scriptCalls, long scriptMicros) {
        static ServerSample take(RedisCommands<String, String> sync) {
            String cpu = sync.info("cpu");
            Matcher script =
                    Pattern.compile("cmdstat_evalsha:calls=(\\d+),usec=(\\d+)").matcher(sync.info("commandstats"));
            boolean ran = script.find();
            return new ServerSample(
                    field(cpu, "used_cpu_user_main_thread") + field(cpu, "used_cpu_sys_main_thread"),
                    ran ? Long.parseLong(script.group(1)) : 0,
                    ran ? Long.parseLong(script.group(2)) : 0);
        }

        private static double field(String info, String name) {
            Matcher m = Pattern.compile(name + ":([0-9.]+)").matcher(info);
            return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
        }

        /**
         * @return what the server did between {@code before} and this sample for {@code units} counted over {@code
         *     secs}: its main thread's CPU share, and the scripts' calls and time per unit
         */
        String since(ServerSample before, long units, double secs) {
            long calls = scriptCalls - before.scriptCalls;
            return String.format(
                    Locale.ROOT,
                    "Redis main thread %.0f %% CPU; %.1f units and %.1f µs per EVALSHA, %.1f µs of script per unit",
                    (cpuSeconds - before.cpuSeconds) / secs * 100,
                    calls == 0 ? 0 : (double) units / calls,
                    calls == 0 ? 0 : (double) (scriptMicros - before.scriptMicros) / calls,
                    units == 0 ? 0 : (double) (scriptMicros - before.scriptMicros) / units);
        }
    }

    /** Runs redis-benchmark for about {@code secs} (request count from a short calibration run). @return requests/s */
    private double redisBenchmark(int n, String... command) throws IOException, InterruptedException {
        double calibration = redisBenchmarkOnce(n, Math.max(2_000, 2_000 * n / 4), command);
        long requests = Math.max(10_000L, (long) (calibration * secs));
        double rate = redisBenchmarkOnce(n, requests, command);
        System.err.printf(
                Locale.ROOT,
                "%-40s %4d in flight: %,12.0f /s (%d requests)%n",
                "redis-benchmark " + command[0],
                n,
                rate,
                requests);
        return rate;
    }

    private double redisBenchmarkOnce(int n, long requests, String... command)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(
                "redis-benchmark",
                "-h",
                host,
                "-p",
                Integer.toString(port),
                "-c",
                Integer.toString(n),
                "-P",
                "1",
                "-n",
                Long.toString(requests),
                "-r",
                Integer.toString(n),
                "-q"));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                out.append(line).append('\n');
            }
        }
        if (p.waitFor() != 0) {
            throw new IllegalStateException("redis-benchmark failed: " + out);
        }
        Matcher m = RPS.matcher(out);
        double last = -1;
        while (m.find()) {
            last = Double.parseDouble(m.group(1));
        }
        if (last < 0) {
            throw new IllegalStateException("no result from redis-benchmark: " + out);
        }
        return last;
    }

    /** Removes every key of the scratch namespace (SCAN of that namespace's hash tag only). */
    private void cleanNamespace() {
        RedisCommands<String, String> sync = raw.sync();
        ScanArgs match = ScanArgs.Builder.matches("{" + namespace + "}:*").limit(1000);
        ScanCursor cursor = ScanCursor.INITIAL;
        long removed = 0;
        do {
            var page = sync.scan(cursor, match);
            if (!page.getKeys().isEmpty()) {
                removed += sync.unlink(page.getKeys().toArray(new String[0]));
            }
            cursor = page;
        } while (!cursor.isFinished());
        System.err.printf("namespace %s: removed %d keys%n", namespace, removed);
    }

    private void put(String name, int n, double value) {
        results.put(name + "@" + n, value);
    }

    private double get(String name, int n) {
        return results.getOrDefault(name + "@" + n, Double.NaN);
    }

    private void print(String loadBefore, String loadAfter, double seconds) {
        StringBuilder s = new StringBuilder();
        s.append("| operation | in flight | Tally ops/s | bare Lettuce minimal script (same mode) | ratio "
                + "| redis-benchmark minimal script | ratio | redis-benchmark HINCRBY | ratio |\n");
        s.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        // (the name of a cell, what it measures, and the bare Lettuce cell of the same mode: blocking threads or lanes)
        String[][] ops = {
            {"anonymous", "`recordSuccess()`", "lettuce-minimal"},
            {"anonymous-async", "`recordSuccessAsync()` (n lanes)", "lettuce-minimal-async"},
            {"keyed", "`recordSuccess(key)`", "lettuce-minimal"},
            {"keyed-async", "`recordSuccessAsync(key)` (n lanes)", "lettuce-minimal-async"},
            {"keyed-shared", "`recordSuccess(key)`, all callers on one job", "lettuce-minimal"},
            {"keyed-shared-async", "`recordSuccessAsync(key)`, n lanes on one job", "lettuce-minimal-async"},
            {"keyed-subscribed", "`recordSuccess(key)` with a live event subscriber", "lettuce-minimal"},
            {"part", "`completePart`", "lettuce-minimal"},
            {
                "part-async",
                "`completePartAsync` (n lanes: calls in flight, each sent from the callback of the one before)",
                "lettuce-minimal-async"
            },
            {"progress", "`progress()` read", "lettuce-minimal"},
        };
        for (String[] op : ops) {
            for (int n : clients) {
                double v = get(op[0], n);
                if (Double.isNaN(v)) {
                    continue;
                }
                row(s, op[1], n, v, get(op[2], n), get("rb-minimal", n), get("rb-hincrby", n));
            }
        }
        for (int n : batchClients) {
            double v = get("parts-batch", n);
            if (!Double.isNaN(v)) {
                row(
                        s,
                        "`completeParts` × " + batch + " (parts/s)",
                        n,
                        v,
                        get("lettuce-minimal", n),
                        get("rb-minimal", n),
                        get("rb-hincrby", n));
            }
            v = get("items-batch", n);
            if (!Double.isNaN(v)) {
                row(
                        s,
                        "`record` with " + batch + " items (items/s)",
                        n,
                        v,
                        get("lettuce-minimal", n),
                        get("rb-minimal", n),
                        get("rb-hincrby", n));
            }
        }
        s.append('\n');
        s.append("Raw limits (same run, same server):\n\n| in flight | bare Lettuce minimal script "
                + "| bare Lettuce async (n lanes) | redis-benchmark minimal script | redis-benchmark HINCRBY |\n"
                + "|---:|---:|---:|---:|---:|\n");
        for (int n : clients) {
            s.append(String.format(
                    Locale.ROOT,
                    "| %d | %s | %s | %s | %s |%n",
                    n,
                    num(get("lettuce-minimal", n)),
                    num(get("lettuce-minimal-async", n)),
                    num(get("rb-minimal", n)),
                    num(get("rb-hincrby", n))));
        }
        s.append('\n');
        s.append("Where the time went, per cell (CPU shares over the measured time; the scripts' time from Redis's own"
                + " `INFO commandstats`):\n\n| cell | in flight | ops/s | cost |\n|---|---:|---:|---|\n");
        costs.forEach(c -> s.append(c).append('\n'));
        s.append('\n');
        s.append("Targets:\n\n");
        // Keyed records in each form, against the bare client of the same mode and against redis-benchmark.
        for (String[] op : ops) {
            if (op[0].startsWith("keyed") && !op[0].equals("keyed-subscribed")) {
                double keyed16 = get(op[0], 16);
                target(s, op[1] + " at 16 ≥ 80 % of bare Lettuce, same mode", keyed16 / get(op[2], 16), 0.8);
                target(s, op[1] + " at 16 ≥ 80 % of redis-benchmark -c 16", keyed16 / get("rb-minimal", 16), 0.8);
            }
        }
        target(s, "`completePart` at 16 ≥ 80,000 parts/s (16 threads)", get("part", 16) / 80_000, 1.0);
        target(
                s,
                "`completePart` at 16 ≥ 80,000 parts/s (`completePartAsync`, 16 in flight)",
                get("part-async", 16) / 80_000,
                1.0);
        double bestBatch = Math.max(
                batchClients.stream()
                        .mapToDouble(n -> get("parts-batch", n))
                        .filter(d -> !Double.isNaN(d))
                        .max()
                        .orElse(Double.NaN),
                batchClients.stream()
                        .mapToDouble(n -> get("items-batch", n))
                        .filter(d -> !Double.isNaN(d))
                        .max()
                        .orElse(Double.NaN));
        target(s, "batch API ≥ 300,000 items/s (best batch cell)", bestBatch / 300_000, 1.0);
        s.append('\n');
        s.append(String.format(
                Locale.ROOT,
                "Run: %.0f s; load average before %s, after %s; %d cores.%n",
                seconds,
                loadBefore,
                loadAfter,
                Runtime.getRuntime().availableProcessors()));
        for (String n : notes) {
            s.append("\n").append(n).append('\n');
        }
        System.out.println(s);
    }

    private static void target(StringBuilder s, String what, double ratio, double needed) {
        s.append(String.format(
                Locale.ROOT,
                "- %s: %s → **%s**%n",
                what,
                needed == 1.0 ? String.format(Locale.ROOT, "%.2f × the target", ratio) : pct(ratio),
                Double.isNaN(ratio) ? "not measured" : ratio >= needed ? "holds" : "does not hold"));
    }

    private static void row(StringBuilder s, String op, int n, double v, double lettuce, double rb, double hincr) {
        s.append(String.format(
                Locale.ROOT,
                "| %s | %d | %s | %s | %s | %s | %s | %s | %s |%n",
                op,
                n,
                num(v),
                num(lettuce),
                pct(v / lettuce),
                num(rb),
                pct(v / rb),
                num(hincr),
                pct(v / hincr)));
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%,.0f", v);
    }

    private static String pct(double r) {
        return Double.isNaN(r) || Double.isInfinite(r) ? "—" : String.format(Locale.ROOT, "%.0f %%", r * 100);
    }
}
