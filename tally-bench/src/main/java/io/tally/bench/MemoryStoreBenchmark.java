package io.tally.bench;

import io.tally.Job;
import io.tally.JobSpec;
import io.tally.Tally;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * In-memory store throughput through the public API: anonymous and keyed {@code recordSuccess}, and single
 * {@code completePart} (batches: {@link BatchPartsBenchmark}), next to the store's raw limit in the same run: a {@code ConcurrentHashMap.compute} increment
 * of one key (what one job's counter update costs without Tally's bookkeeping).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class MemoryStoreBenchmark {
    /** Parts per job: large enough that an iteration completes each part at most once. */
    private static final int PARTS = 4_000_000;

    private Tally tally;
    private Job counters;
    private String partsJob;
    private final AtomicInteger nextPart = new AtomicInteger();
    private final AtomicInteger nextKey = new AtomicInteger();
    private final ConcurrentHashMap<String, Long> raw = new ConcurrentHashMap<>();
    private List<Map<String, Object>> payloads;

    @Setup(Level.Trial)
    public void open() {
        tally = Tally.open("memory:");
        payloads = Collections.nCopies(PARTS, Map.of());
    }

    @Setup(Level.Iteration)
    public void freshJobs() {
        counters = tally.create(JobSpec.builder().name("bench").start(true).build());
        partsJob = tally.create(JobSpec.builder().name("parts").parts(payloads).build())
                .id();
        nextPart.set(0);
    }

    @TearDown(Level.Iteration)
    public void dropJobs() {
        tally.delete(counters.id());
        tally.delete(partsJob);
    }

    @TearDown(Level.Trial)
    public void close() {
        tally.close();
    }

    @Benchmark
    @Threads(1)
    public Object recordSuccessAnonymous() {
        return counters.recordSuccess();
    }

    @Benchmark
    @Threads(1)
    public Object recordSuccessKeyed() {
        return counters.recordSuccess("item-" + nextKey.getAndIncrement());
    }

    @Benchmark
    @Threads(1)
    public Object completePart() {
        return tally.completePart(partsJob, nextPart.getAndIncrement() % PARTS);
    }

    @Benchmark
    @Threads(1)
    public Object rawComputeIncrement() {
        return raw.compute("job", (k, v) -> v == null ? 1 : v + 1);
    }
}
