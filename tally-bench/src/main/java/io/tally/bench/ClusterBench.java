package io.tally.bench;

import io.tally.Job;
import io.tally.JobQuery;
import io.tally.JobSpec;
import io.tally.Tally;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

/**
 * Throughput of one store URL under many callers, each on jobs of its own, so that on a Redis Cluster the jobs are
 * spread over the buckets and the masters: keyed records ({@code recordSuccess(key)}, a new key each) and part
 * completions ({@code completePart}); then the latency of the reads that ask every bucket, a listing page and {@code
 * stats()}, with the run's 128 jobs in the namespace. Prints one markdown row per operation; {@code
 * scripts/bench-cluster.sh} runs it on one server, a one-master Cluster and the three-master test Cluster in one run.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.tally.bench.ClusterBench --url=redis-cluster://… [--label=…]
 * [--callers=16] [--jobs=64] [--secs=5] [--warmup=2]}
 */
public final class ClusterBench {
    /** Parts per job: enough that a run of a few seconds completes each part about once. */
    private static final int PARTS = 5_000;

    private ClusterBench() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = DriverArgs.parse(args);
        String url = opts.get("url");
        String label = opts.getOrDefault("label", url);
        int callers = Integer.parseInt(opts.getOrDefault("callers", "16"));
        int jobs = Integer.parseInt(opts.getOrDefault("jobs", "64"));
        int secs = Integer.parseInt(opts.getOrDefault("secs", "5"));
        int warmup = Integer.parseInt(opts.getOrDefault("warmup", "2"));
        String namespace = "bench-cluster-" + Long.toHexString(System.nanoTime());
        try (Tally tally = Tally.open(url + (url.contains("?") ? "&" : "?") + "namespace=" + namespace)) {
            List<Job> counters = new ArrayList<>();
            List<Job> parted = new ArrayList<>();
            for (int j = 0; j < jobs; j++) {
                counters.add(
                        tally.create(JobSpec.builder().name("keyed").start(true).build()));
                parted.add(tally.create(JobSpec.builder()
                        .name("parts")
                        .parts(IntStream.range(0, PARTS)
                                .mapToObj(i -> Map.of("i", i))
                                .toList())
                        .build()));
            }
            AtomicLong keys = new AtomicLong();
            double keyed = run(callers, secs, warmup, c -> {
                Job job = counters.get((int) (keys.get() % jobs));
                job.recordSuccess("k" + keys.incrementAndGet());
            });
            AtomicLong parts = new AtomicLong();
            double completions = run(callers, secs, warmup, c -> {
                long n = parts.getAndIncrement();
                tally.completePart(parted.get((int) (n % jobs)).id(), (int) (n / jobs) % PARTS);
            });
            System.out.printf(Locale.ROOT, "| %s | recordSuccess(key) | %d | %,.0f |%n", label, callers, keyed);
            System.out.printf(Locale.ROOT, "| %s | completePart | %d | %,.0f |%n", label, callers, completions);
            // The reads that ask every bucket: one caller, the median of 500 after 200 of warm-up.
            System.out.printf(
                    Locale.ROOT,
                    "| %s | query(limit 20), median | 1 | %.2f ms |%n",
                    label,
                    medianMillis(() -> tally.query(JobQuery.builder().limit(20).build())));
            System.out.printf(
                    Locale.ROOT, "| %s | stats(), median | 1 | %.2f ms |%n", label, medianMillis(tally::stats));
            for (Job j : counters) {
                tally.delete(j.id());
            }
            for (Job j : parted) {
                tally.delete(j.id());
            }
        }
    }

    interface Call {
        void run(int caller) throws Exception;
    }

    /**
     * @return calls per second of {@code callers} threads calling {@code call} for {@code secs} after a warm-up of
     *     {@code warmup} seconds: each caller counts the calls it finishes within the measured window, and stops at its
     *     end
     * @throws Exception the first failure of a call, after every caller stopped
     */
    private static double run(int callers, int secs, int warmup, Call call) throws Exception {
        long start = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmup);
        long end = start + TimeUnit.SECONDS.toNanos(secs);
        AtomicLong done = new AtomicLong();
        AtomicReference<Exception> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            int caller = c;
            Thread t = new Thread(() -> {
                try {
                    for (long now = System.nanoTime(); now - end < 0 && failure.get() == null; ) {
                        call.run(caller);
                        now = System.nanoTime();
                        if (now - start >= 0 && now - end < 0) {
                            done.incrementAndGet();
                        }
                    }
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        return done.get() / (double) secs;
    }

    /** @return the median time of {@code read}, in milliseconds, over 500 calls after 200 of warm-up */
    private static double medianMillis(Runnable read) {
        long[] nanos = new long[500];
        for (int i = -200; i < nanos.length; i++) {
            long start = System.nanoTime();
            read.run();
            if (i >= 0) {
                nanos[i] = System.nanoTime() - start;
            }
        }
        java.util.Arrays.sort(nanos);
        return nanos[nanos.length / 2] / 1e6;
    }
}
