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
                + "(io.tally.runner.Worker). Work is dispatched through a Redis Stream: --redis, or the store "
                + "itself when it is redis://.")
final class WorkerCommand extends TallyCommand {

    /** --definitions and --classpath; their help here comes from help.properties (tally.worker.*). */
    @Mixin
    DefinitionsOption definitionsOption;

    @Option(
            names = "--redis",
            paramLabel = "URL",
            description = "the Redis the work is dispatched through (default: the store URL when it is redis://)")
    String redis;

    @Option(names = "--stream", description = "the Redis Stream (default tally:work)")
    String stream;

    @Option(names = "--group", description = "the consumer group (default tally-workers)")
    String group;

    @Option(names = "--threads", description = "messages handled at once (default max(2, cpus))")
    Integer threads;

    @Option(
            names = "--claim-idle",
            paramLabel = "DURATION",
            description = "take over a dead worker's messages " + "after this long, ISO-8601 (default PT60S)")
    String claimIdle;

    @Option(names = "--heartbeat", paramLabel = "DURATION", description = "lease of the reduce jobs, ISO-8601")
    String heartbeat;

    @Override
    public Integer call() throws Exception {
        String store = storeUrl();
        Path file = definitionsOption.file(console, true);
        String via = redis != null ? redis : console.env().get("TALLY_REDIS");
        if (via == null && (store.startsWith("redis://") || store.startsWith("rediss://"))) {
            via = store;
        }
        if (via == null || via.isBlank()) {
            throw new InvalidInputException(
                    "--redis", "required: workers take their work from a Redis Stream (or use a redis:// store)");
        }
        if (threads != null && threads < 1) {
            throw new InvalidInputException("--threads", "must be positive, was " + threads);
        }
        duration("--claim-idle", claimIdle);
        duration("--heartbeat", heartbeat);
        List<String> args =
                new ArrayList<>(List.of("--store", store, "--definitions", file.toString(), "--redis", via));
        add(args, "stream", stream);
        add(args, "group", group);
        add(args, "threads", threads == null ? null : threads.toString());
        add(args, "claim-idle", claimIdle);
        add(args, "heartbeat", heartbeat);
        definitionsOption.useClasspath(console);
        console.out().flush();
        Worker.main(args.toArray(new String[0]));
        return TallyCli.OK;
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
