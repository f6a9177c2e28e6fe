package io.tally.bench;

import io.tally.JobSpec;
import io.tally.Tally;
import java.util.Collections;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Batched {@code completeParts} on the in-memory store, 100 parts per call. Each measured shot completes every part
 * of a fresh 1,000,000-part job exactly once ({@value #CALLS} calls), so no call is a cheap duplicate; parts/s is
 * 1,000,000 divided by the shot's time.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, batchSize = BatchPartsBenchmark.CALLS)
@Measurement(iterations = 5, batchSize = BatchPartsBenchmark.CALLS)
@State(Scope.Benchmark)
public class BatchPartsBenchmark {
    static final int BATCH = 100;
    static final int PARTS = 1_000_000;
    static final int CALLS = PARTS / BATCH;

    private Tally tally;
    private String jobId;
    private int next;

    @Setup(Level.Trial)
    public void open() {
        tally = Tally.open("memory:");
    }

    @Setup(Level.Iteration)
    public void freshJob() {
        jobId = tally.create(JobSpec.builder()
                        .name("batch")
                        .parts(Collections.nCopies(PARTS, java.util.Map.of()))
                        .build())
                .id();
        next = 0;
    }

    @TearDown(Level.Iteration)
    public void dropJob() {
        tally.delete(jobId);
    }

    @TearDown(Level.Trial)
    public void close() {
        tally.close();
    }

    @Benchmark
    public Object completeParts100() {
        int[] parts = new int[BATCH];
        for (int i = 0; i < BATCH; i++) {
            parts[i] = next++;
        }
        return tally.completeParts(jobId, parts);
    }
}
