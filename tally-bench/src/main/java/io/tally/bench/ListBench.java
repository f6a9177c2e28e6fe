package io.tally.bench;

import io.tally.JobQuery;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.Tally;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Time to list the first page of jobs filtered by state in a store holding 100,000 jobs (a third RUNNING, the rest
 * PENDING or SUCCEEDED): the dashboard's landing query. Fills the store up to 100,000 jobs first.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.tally.bench.ListBench STORE_URL}
 */
public final class ListBench {
    private static final int JOBS = 100_000;

    private ListBench() {}

    /** @param args the store URL */
    public static void main(String[] args) throws Exception {
        try (Tally tally = Tally.open(args[0])) {
            long existing =
                    tally.stats().values().stream().mapToLong(Long::longValue).sum();
            long t0 = System.nanoTime();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < 8; w++) {
                int worker = w;
                futures.add(pool.submit(() -> {
                    for (long i = existing + worker; i < JOBS; i += 8) {
                        var job = tally.create(JobSpec.builder()
                                .name("bulk")
                                .scope("s" + (i % 100))
                                .start(i % 3 == 0)
                                .build());
                        if (i % 3 == 1) {
                            job.start();
                            job.finish();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
            pool.shutdown();
            System.out.printf(Locale.ROOT, "filled to %d jobs in %.0f s%n", JOBS, (System.nanoTime() - t0) / 1e9);
            JobQuery first =
                    JobQuery.builder().state(JobState.RUNNING).limit(50).build();
            for (int i = 0; i < 20; i++) {
                tally.query(first); // warm-up
            }
            double[] ms = new double[100];
            for (int i = 0; i < ms.length; i++) {
                long s = System.nanoTime();
                int n = tally.query(first).items().size();
                ms[i] = (System.nanoTime() - s) / 1e6;
                if (n != 50) {
                    throw new IllegalStateException("expected a full page, got " + n);
                }
            }
            Arrays.sort(ms);
            System.out.printf(
                    Locale.ROOT,
                    "%s: first page (50) of RUNNING among %d jobs: median %.2f ms, p90 %.2f ms, max %.2f ms%n",
                    args[0].replaceAll("//[^@]*@", "//"),
                    JOBS,
                    ms[ms.length / 2],
                    ms[(int) (ms.length * 0.9)],
                    ms[ms.length - 1]);
        }
    }
}
