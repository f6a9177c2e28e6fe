package io.tally.runner;

import io.tally.InvalidInputException;
import io.tally.Tally;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/**
 * A worker process: opens the store, loads a definitions file (its {@code definitions} and {@code mapReduces}
 * sections) and runs the builds and parts dispatched to it until it is stopped (SIGTERM/SIGINT). Builds are claimed
 * atomically, so several workers never run one build twice; a worker killed mid-build leaves a build whose heartbeat
 * lapses, which the sweeper fails as {@code stalled} and which can then be built again.
 *
 * <pre>
 * java -cp … io.tally.runner.Worker --store redis://127.0.0.1:6379/0 --definitions jobs.yaml \
 *      --redis redis://127.0.0.1:6379/0 [--stream tally:work] [--group tally-workers] [--threads 4] [--claim-idle PT60S]
 *      [--heartbeat PT1M]
 * </pre>
 *
 * Several workers on one stream share the parts; a worker killed mid-part has its pending entries taken over by the
 * others after {@code --claim-idle}. This is the entry point {@code tally worker} delegates to.
 */
public final class Worker {
    private Worker() {}

    /** Runs a worker until the process is stopped. */
    public static void main(String[] args) throws Exception {
        Map<String, String> a = parse(args);
        String store = require(a, "store");
        String redis = require(a, "redis");
        RedisStreamsDispatcher.Builder d = RedisStreamsDispatcher.builder(redis);
        option(a, "stream", d::stream);
        option(a, "group", d::group);
        option(a, "threads", v -> d.threads(Integer.parseInt(v)));
        option(a, "claim-idle", v -> d.claimIdle(Duration.parse(v)));
        Tally tally = Tally.open(store);
        Runner.Builder rb = Runner.builder(tally).definitions(Path.of(require(a, "definitions")));
        option(a, "heartbeat", v -> rb.heartbeat(Duration.parse(v)));
        Runner runner = rb.dispatcher(d.build()).build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            runner.close();
            tally.close();
            stopped.countDown();
        }));
        System.out.println("tally worker ready");
        System.out.flush();
        stopped.await();
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new InvalidInputException("args", "expected --name value pairs, got '" + args[i] + "'");
            }
            out.put(args[i].substring(2), args[++i]);
        }
        return out;
    }

    /**
     * Passes option {@code --name}, when given, to a builder. The value is input: what the builder refuses as a bad
     * setting ({@link IllegalArgumentException}) or cannot parse is answered as invalid input naming the option.
     */
    private static void option(Map<String, String> a, String name, Consumer<String> set) {
        String v = a.get(name);
        if (v == null) {
            return;
        }
        try {
            set.accept(v);
        } catch (IllegalArgumentException | DateTimeException e) {
            throw new InvalidInputException("--" + name, e.getMessage());
        }
    }

    private static String require(Map<String, String> a, String name) {
        String v = a.get(name);
        if (v == null) {
            throw new InvalidInputException(
                    name, "--" + name + " is required (usage: --store URL --definitions FILE --redis URL)");
        }
        return v;
    }
}
