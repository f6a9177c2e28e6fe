package io.tally.runner;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/** The part and reduce functions the worker processes of {@link MultiProcessMapReduceIT} run (named in its file). */
public final class MultiProcessJobs {
    private MultiProcessJobs() {}

    /** Build A of the multi-process build test. */
    public static int a(BuildContext ctx) {
        ctx.log().info("running on pid {}", ProcessHandle.current().pid());
        return 1;
    }

    /** Build B: depends on A. */
    public static int b(BuildContext ctx) {
        ctx.log().info("running on pid {}", ProcessHandle.current().pid());
        return ctx.dependencyResult("A", Integer.class) * 10 + 2;
    }

    /** Build C: depends on B. */
    public static int c(BuildContext ctx) {
        ctx.log().info("running on pid {}", ProcessHandle.current().pid());
        return ctx.dependencyResult("B", Integer.class) * 10 + 3;
    }

    /** A build that hangs (as a stuck worker would) when its parameter {@code hang} is true. */
    public static String slow(BuildContext ctx) throws InterruptedException {
        ctx.log().info("started on pid {}", ProcessHandle.current().pid());
        if (ctx.param("hang", Boolean.class)) {
            new CountDownLatch(1).await(); // stuck for good: the test kills this process
        }
        return "done";
    }

    private static final AtomicInteger PARTS_STARTED = new AtomicInteger();

    /**
     * A part: twice the part's number. In a worker started with {@code -Dtally.test.stallAfter=N}, every part after
     * the N-th hangs (as a stuck worker would), holding its claimed message until the test kills the process.
     */
    public static int part(PartContext ctx) throws InterruptedException {
        String stallAfter = System.getProperty("tally.test.stallAfter");
        if (stallAfter != null && PARTS_STARTED.incrementAndGet() > Integer.parseInt(stallAfter)) {
            new CountDownLatch(1).await();
        }
        return ((Number) ctx.payload().get("n")).intValue() * 2;
    }

    /** A part that always throws when its payload says {@code "poison": true} (a poison message); else as {@link #part}. */
    public static int poison(PartContext ctx) throws InterruptedException {
        if (Boolean.TRUE.equals(ctx.payload().get("poison"))) {
            throw new IllegalStateException("poison part " + ctx.part() + " always fails");
        }
        return part(ctx);
    }

    /** The reduce: counts its own runs in Redis (across processes), then the results' count and sum. */
    public static Map<String, Long> reduce(ReduceContext ctx) {
        String counter = System.getProperty("tally.test.reduceCounter");
        RedisClient c = RedisClient.create(System.getProperty("tally.test.redis"));
        try (StatefulRedisConnection<String, String> conn = c.connect()) {
            conn.sync().incr(counter);
        } finally {
            c.shutdown(Duration.ZERO, Duration.ZERO);
        }
        List<Integer> results = ctx.results(Integer.class);
        return Map.of(
                "count",
                (long) results.size(),
                "sum",
                results.stream().mapToLong(Integer::longValue).sum());
    }
}
