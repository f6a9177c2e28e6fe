package io.tally.cli;

import io.tally.InvalidInputException;
import io.tally.runner.Worker;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tally worker}: delegates to {@link Worker}. */
@Command(
        name = "worker",
        description = "Run the builds and map-reduce parts dispatched to this process until it is stopped "
                + "(io.tally.runner.Worker). The work comes through the transport --via names: "
                + "amqp://user:pass@host:5672[/vhost] or amqps:// (RabbitMQ), nats://host:4222 (NATS JetStream), "
                + "sqs://host:port?region=R&queue=Q (an SQS-compatible server such as ElasticMQ) or "
                + "sqs:?region=R&queue=Q (Amazon SQS), redis://host:6379 or rediss:// (a Redis Stream; also --redis, or the store itself when it is "
                + "redis://).")
final class WorkerCommand extends TallyCommand {

    /** --definitions and --classpath; their help here comes from help.properties (tally.worker.*). */
    @Mixin
    DefinitionsOption definitionsOption;

    @Option(
            names = "--via",
            paramLabel = "URL",
            description = "the transport the work is dispatched through: amqp://… (RabbitMQ), nats://… (NATS "
                    + "JetStream), sqs://host:port?… or sqs:?… (Amazon SQS) or redis://… (Redis Streams) (default: "
                    + "env TALLY_VIA, else --redis)")
    String via;

    @Option(
            names = "--redis",
            paramLabel = "URL",
            description = "the Redis form of --via: the Redis whose Stream the work comes through (default: env "
                    + "TALLY_REDIS, else the store URL when it is redis://)")
    String redis;

    @Option(
            names = "--queue",
            paramLabel = "NAME",
            description = "the RabbitMQ queue (default tally.work), NATS subject (default tally.work), SQS queue "
                    + "(default tally-work) or Redis Stream")
    String queue;

    @Option(
            names = "--stream",
            paramLabel = "NAME",
            description = "the Redis Stream (default tally:work) or NATS stream (default TALLY_WORK)")
    String stream;

    @Option(
            names = "--group",
            paramLabel = "NAME",
            description = "the Redis consumer group or NATS durable consumer (default tally-workers)")
    String group;

    @Option(names = "--threads", description = "messages handled at once (default max(2, cpus))")
    Integer threads;

    @Option(
            names = "--max-deliveries",
            paramLabel = "N",
            description = "deliveries of a message before it goes to the dead-letter queue or stream (default 5)")
    Integer maxDeliveries;

    @Option(
            names = "--redeliver-after",
            paramLabel = "DURATION",
            description = "a dead worker's messages go to another after this long, ISO-8601: NATS AckWait "
                    + "(default PT30S), SQS visibility timeout (default PT30S), Redis claim idle time (default PT60S);"
                    + " RabbitMQ redelivers at once")
    String redeliverAfter;

    @Option(
            names = "--claim-idle",
            paramLabel = "DURATION",
            description = "the Redis name of --redeliver-after, ISO-8601 (default PT60S)")
    String claimIdle;

    @Option(names = "--heartbeat", paramLabel = "DURATION", description = "lease of the reduce jobs, ISO-8601")
    String heartbeat;

    @Override
    public Integer call() throws Exception {
        String store = storeUrl();
        Path file = definitionsOption.file(console, true);
        String url =
                first(via, console.env().get("TALLY_VIA"), redis, console.env().get("TALLY_REDIS"));
        if (url == null && (store.startsWith("redis://") || store.startsWith("rediss://"))) {
            url = store;
        }
        if (url == null || url.isBlank()) {
            throw new InvalidInputException(
                    "--via",
                    "required: the transport workers take their work from, amqp://…, nats://…, sqs://… or redis://… "
                            + "(--redis URL, or a redis:// store, also do)");
        }
        if (threads != null && threads < 1) {
            throw new InvalidInputException("--threads", "must be positive, was " + threads);
        }
        if (maxDeliveries != null && maxDeliveries < 1) {
            throw new InvalidInputException("--max-deliveries", "must be positive, was " + maxDeliveries);
        }
        duration("--redeliver-after", redeliverAfter);
        duration("--claim-idle", claimIdle);
        duration("--heartbeat", heartbeat);
        List<String> args = new ArrayList<>(List.of("--store", store, "--definitions", file.toString(), "--via", url));
        add(args, "queue", queue);
        add(args, "stream", stream);
        add(args, "group", group);
        add(args, "threads", threads == null ? null : threads.toString());
        add(args, "max-deliveries", maxDeliveries == null ? null : maxDeliveries.toString());
        add(args, "redeliver-after", redeliverAfter);
        add(args, "claim-idle", claimIdle);
        add(args, "heartbeat", heartbeat);
        definitionsOption.useClasspath(console);
        console.out().flush();
        Worker.main(args.toArray(new String[0]));
        return TallyCli.OK;
    }

    private static String first(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }

    private static void add(List<String> args, String name, String value) {
        if (value != null) {
            args.add("--" + name);
            args.add(value);
        }
    }

    private static void duration(String name, String value) {
        if (value == null) {
            return;
        }
        try {
            if (Duration.parse(value).isNegative()) {
                throw new InvalidInputException(name, "must not be negative");
            }
        } catch (DateTimeParseException e) {
            throw new InvalidInputException(name, "must be an ISO-8601 duration like PT30S, was " + value);
        }
    }
}
