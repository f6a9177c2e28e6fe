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
 *      --via amqp://guest:guest@127.0.0.1:5672 | nats://127.0.0.1:4222 | redis://127.0.0.1:6379/0
 *          | sqs://127.0.0.1:9324?region=us-east-1 | sqs:?region=eu-west-1&amp;queue=tiles
 *      [--queue NAME] [--stream NAME] [--group NAME] [--threads 4] [--max-deliveries 5]
 *      [--redeliver-after PT60S] [--heartbeat PT1M]
 * </pre>
 *
 * {@code --via} names the transport ({@link Dispatchers}); {@code --redis URL} is its older Redis form, and
 * {@code --claim-idle} of {@code --redeliver-after}. Several workers on one queue share the parts; a worker killed
 * mid-part has its messages taken over by the others (RabbitMQ: at once; NATS: after the AckWait; SQS: after the
 * visibility timeout; Redis: after the claim idle time). This is the entry point {@code tally worker} delegates to.
 */
public final class Worker {
    private static final String USAGE = "usage: --store URL --definitions FILE --via URL";

    private Worker() {}

    /** Runs a worker until the process is stopped. */
    public static void main(String[] args) throws Exception {
        Map<String, String> a = parse(args);
        String store = require(a, "store");
        Dispatchers.Builder d = dispatcher(a);
        Tally tally = Tally.open(store);
        Runner.Builder rb = Runner.builder(tally).definitions(Path.of(require(a, "definitions")));
        option(a, "heartbeat", v -> rb.heartbeat(Duration.parse(v)));
        Runner runner = rb.dispatcher(d.open()).build();
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

    /** The dispatcher's settings from {@code --via} (or {@code --redis}) and the options that go with it. */
    static Dispatchers.Builder dispatcher(Map<String, String> a) {
        String via = a.containsKey("via") ? a.get("via") : a.get("redis");
        if (via == null) {
            throw new InvalidInputException(
                    "via", "--via is required: amqp://…, nats://…, sqs://… or redis://… (" + USAGE + ")");
        }
        Dispatchers.Builder d;
        try {
            d = Dispatchers.url(via);
        } catch (InvalidInputException e) {
            throw new InvalidInputException("--via", e.getMessage());
        }
        option(a, "queue", d::queue);
        option(a, "stream", d::stream);
        option(a, "group", d::group);
        option(a, "threads", v -> d.threads(Integer.parseInt(v)));
        option(a, "max-deliveries", v -> d.maxDeliveries(Integer.parseInt(v)));
        option(a, "claim-idle", v -> d.redeliverAfter(Duration.parse(v)));
        option(a, "redeliver-after", v -> d.redeliverAfter(Duration.parse(v)));
        return d;
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
            throw new InvalidInputException(name, "--" + name + " is required (" + USAGE + ")");
        }
        return v;
    }
}
