package io.tally.bench;

import io.tally.Job;
import io.tally.JobSpec;
import io.tally.Tally;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * Throughput of one store URL under many callers, each on jobs of its own, so that on a Redis Cluster the jobs are
 * spread over the buckets and the masters: keyed records ({@code recordSuccess(key)}, a new key each) and part
 * completions ({@code completePart}). Prints one markdown row per operation; {@code scripts/bench-cluster.sh} runs it
 * on one server, a one-master Cluster and the three-master test Cluster in one run.
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

    /** @return calls per second of {@code callers} threads calling {@code call} for {@code secs} after a warm-up */
    private static double run(int callers, int secs, int warmup, Call call) throws Exception {
        AtomicBoolean counting = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong done = new AtomicLong();
        CountDownLatch finished = new CountDownLatch(callers);
        for (int c = 0; c < callers; c++) {
            int caller = c;
            Thread t = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        call.run(caller);
                        if (counting.get()) {
                            done.incrementAndGet();
                        }
                    }
                } catch (Exception e) {
                    e.printStackTrace();
                } finally {
                    finished.countDown();
                }
            });
            t.setDaemon(true);
            t.start();
        }
        Thread.sleep(warmup * 1000L); // (a benchmark's fixed warm-up and measuring time, not a wait for an event)
        long start = System.nanoTime();
        counting.set(true);
        Thread.sleep(secs * 1000L);
        counting.set(false);
        long elapsed = System.nanoTime() - start;
        long n = done.get();
        stop.set(true);
        finished.await();
        return n / (elapsed / 1e9);
    }
}
