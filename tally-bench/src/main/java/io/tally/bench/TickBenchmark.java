package io.tally.bench;

import io.tally.Job;
import io.tally.JobSpec;
import io.tally.ReportPolicy;
import io.tally.Reporter;
import io.tally.Tally;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
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
 * {@code Reporter.tick()} throughput, one and two threads, next to its raw limit: a bare {@link LongAdder} increment
 * in the same run. The reporter's background writes (every 2 s, into the in-memory store) run during the measurement.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class TickBenchmark {
    private Tally tally;
    private Reporter reporter;
    private final LongAdder raw = new LongAdder();

    @Setup(Level.Trial)
    public void open() {
        tally = Tally.open("memory:");
        Job job = tally.create(JobSpec.builder().name("bench").start(true).build());
        reporter = job.reporter(ReportPolicy.every(Duration.ofSeconds(2)));
    }

    @TearDown(Level.Trial)
    public void close() {
        reporter.close();
        tally.close();
    }

    @Benchmark
    @Threads(1)
    public void tick1Thread() {
        reporter.tick();
    }

    @Benchmark
    @Threads(2)
    public void tick2Threads() {
        reporter.tick();
    }

    @Benchmark
    @Threads(1)
    public void rawLongAdder1Thread() {
        raw.increment();
    }

    @Benchmark
    @Threads(2)
    public void rawLongAdder2Threads() {
        raw.increment();
    }
}
