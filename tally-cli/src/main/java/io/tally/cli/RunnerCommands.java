package io.tally.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tally.InvalidInputException;
import io.tally.JobQuery;
import io.tally.JobSnapshot;
import io.tally.JobState;
import io.tally.Page;
import io.tally.Tally;
import io.tally.runner.Build;
import io.tally.runner.BuildOptions;
import io.tally.runner.Runner;
import io.tally.runner.Worker;
import io.tally.server.DefinitionJson;
import io.tally.server.JobJson;
import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The runner's commands: {@code tally defs}, {@code tally build}, {@code tally builds} and {@code tally worker}. The
 * definitions come from a definitions file (YAML or JSON, format in tally-runner's README) given with
 * {@code --definitions} or env {@code TALLY_DEFINITIONS}; the classes it names are found on the class path, extended
 * with {@code --classpath} or env {@code TALLY_CLASSPATH}.
 */
final class RunnerCommands {
    private RunnerCommands() {}

    /**
     * @param option the {@code --definitions} value, or null
     * @param required true to fail (exit 2) when neither the option nor {@code TALLY_DEFINITIONS} is given
     * @return the definitions file, or null when not given and not required
     */
    static Path definitionsFile(Console console, Path option, boolean required) {
        if (option != null) {
            return option;
        }
        String env = console.env().get("TALLY_DEFINITIONS");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        if (required) {
            throw new InvalidInputException("--definitions", "FILE is required (or set TALLY_DEFINITIONS)");
        }
        return null;
    }

    /**
     * Makes the jars and directories of {@code option} (or {@code TALLY_CLASSPATH}) visible to the definitions file:
     * the runner resolves its classes with the thread's context class loader.
     */
    static void useClasspath(Console console, String option) {
        String cp = option != null ? option : console.env().get("TALLY_CLASSPATH");
        if (cp == null || cp.isBlank()) {
            return;
        }
        List<URL> urls = new ArrayList<>();
        for (String entry : cp.split(File.pathSeparator)) {
            if (entry.isBlank()) {
                continue;
            }
            File f = new File(entry);
            if (!f.exists()) {
                throw new InvalidInputException("--classpath", "no such file or directory: " + entry);
            }
            try {
                urls.add(f.toURI().toURL());
            } catch (MalformedURLException e) {
                throw new InvalidInputException("--classpath", "not a path: " + entry);
            }
        }
        Thread t = Thread.currentThread();
        ClassLoader parent =
                t.getContextClassLoader() != null ? t.getContextClassLoader() : RunnerCommands.class.getClassLoader();
        t.setContextClassLoader(new URLClassLoader(urls.toArray(new URL[0]), parent));
    }

    /** Options of the commands that read a definitions file. */
    abstract static class WithDefinitions extends TallyCommand {
        @Option(
                names = "--definitions",
                paramLabel = "FILE",
                description = "the definitions file, YAML or JSON (default: env TALLY_DEFINITIONS)")
        Path definitions;

        @Option(
                names = "--classpath",
                paramLabel = "PATH",
                description = "jars and directories holding the definitions' classes, separated by the path separator "
                        + "(':' on Unix; default: env TALLY_CLASSPATH)")
        String classpath;

        /** @return a runner over the definitions file (required); close it before the Tally */
        Runner runner(Tally tally) {
            Path file = definitionsFile(console, definitions, true);
            useClasspath(console, classpath);
            return Runner.builder(tally).definitions(file).build();
        }

        static void requireDefinition(Runner runner, String id) {
            if (runner.definition(id).isEmpty()) {
                List<String> ids =
                        runner.definitions().stream().map(d -> d.id()).toList();
                throw new NotFoundException("no such definition: " + id + " (defined: " + String.join(", ", ids) + ")");
            }
        }
    }

    // ------------------------------------------------------------------ defs

    /** {@code tally defs}. */
    @Command(
            name = "defs",
            description = "List the job definitions, in dependency order, with their status "
                    + "(NOT_BUILT, BUILDING, SUCCEEDED, FAILED, OUTDATED).")
    static final class Defs extends WithDefinitions {
        @Override
        public Integer call() {
            try (Tally tally = open();
                    Runner runner = runner(tally)) {
                ObjectNode o = DefinitionJson.definitions(runner);
                if (json()) {
                    print(o);
                    return TallyCli.OK;
                }
                List<List<String>> rows = new ArrayList<>();
                for (JsonNode d : o.get("definitions")) {
                    rows.add(List.of(
                            d.get("id").asText(),
                            Text.clip(d.get("title").asText(), 30),
                            d.get("status").asText(),
                            d.get("outdated").asBoolean() ? "yes" : "no",
                            Text.clip(join(d.get("dependsOn")), 40),
                            Text.clip(join(d.get("tags")), 30),
                            d.get("lastBuild").isNull()
                                    ? "–"
                                    : d.get("lastBuild").asText()));
                }
                console.out()
                        .print(Text.table(
                                List.of("ID", "TITLE", "STATUS", "OUTDATED", "DEPENDS ON", "TAGS", "LAST BUILD"),
                                rows));
                if (rows.isEmpty()) {
                    println("(no definitions)");
                }
            }
            return TallyCli.OK;
        }

        private static String join(JsonNode arr) {
            List<String> out = new ArrayList<>();
            arr.forEach(n -> out.add(n.asText()));
            return out.isEmpty() ? "–" : String.join(", ", out);
        }
    }

    // ------------------------------------------------------------------ build

    /** {@code tally build DEF}. */
    @Command(
            name = "build",
            description = "Build a definition and wait for it: prints the build id, then its final state. "
                    + "Exit 0 if it SUCCEEDED, 1 otherwise.",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {
                "0:SUCCEEDED",
                "1:FAILED, SKIPPED or CANCELLED",
                "2:usage error or invalid input",
                "3:no such definition",
                "4:store unavailable"
            })
    static final class BuildDef extends WithDefinitions {
        @Parameters(paramLabel = "DEF", description = "the definition id")
        String definition;

        @Option(names = "--deps", description = "build missing, failed or outdated dependencies first")
        boolean deps;

        @Option(names = "--dependents", description = "after a success, rebuild every definition downstream")
        boolean dependents;

        @Override
        public Integer call() {
            try (Tally tally = open();
                    Runner runner = runner(tally)) {
                requireDefinition(runner, definition);
                Build b = runner.build(
                        definition,
                        BuildOptions.defaults().buildDependencies(deps).buildDependents(dependents));
                if (!json()) {
                    println(b.id());
                    console.out().flush();
                }
                b.await();
                JobState state = b.state();
                Optional<JobSnapshot> snap = b.snapshot();
                if (json()) {
                    ObjectNode o = snap.map(DefinitionJson::build).orElseGet(() -> {
                        ObjectNode n = JobJson.MAPPER.createObjectNode();
                        n.put("id", b.id());
                        n.put("definition", definition);
                        n.put("state", state.name());
                        return n;
                    });
                    o.put("state", state.name());
                    snap.flatMap(JobSnapshot::resultJson).ifPresent(r -> {
                        try {
                            o.set("result", JobJson.MAPPER.readTree(r));
                        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                            o.put("result", r);
                        }
                    });
                    print(o);
                } else {
                    println(definition + ": " + state
                            + b.error()
                                    .map(e -> " - " + Text.clip(e.message(), 300))
                                    .orElse(""));
                }
                return state == JobState.SUCCEEDED ? TallyCli.OK : TallyCli.JOB_FAILED;
            }
        }
    }

    // ------------------------------------------------------------------ builds

    /** {@code tally builds DEF}. */
    @Command(
            name = "builds",
            description = "List the builds of a definition, newest first. Without a definitions file the store's jobs "
                    + "named DEF that are builds are listed (exit 3 when there are none).")
    static final class Builds extends TallyCommand {
        @Parameters(paramLabel = "DEF", description = "the definition id")
        String definition;

        @Option(
                names = "--definitions",
                paramLabel = "FILE",
                description = "the definitions file; an unknown DEF then exits 3 (default: env TALLY_DEFINITIONS)")
        Path definitions;

        @Option(names = "--classpath", paramLabel = "PATH", description = "see tally defs --help")
        String classpath;

        @Option(
                names = "--limit",
                defaultValue = "20",
                description = "most builds shown, 1–1000 (default ${DEFAULT-VALUE})")
        int limit;

        @Override
        public Integer call() {
            if (limit < 1 || limit > 1000) {
                throw new InvalidInputException("--limit", "must be 1–1000, was " + limit);
            }
            Path file = definitionsFile(console, definitions, false);
            try (Tally tally = open()) {
                List<JobSnapshot> builds = new ArrayList<>();
                if (file != null) {
                    useClasspath(console, classpath);
                    try (Runner runner = Runner.builder(tally).definitions(file).build()) {
                        WithDefinitions.requireDefinition(runner, definition);
                        for (Build b : runner.builds(definition, limit)) {
                            b.snapshot().ifPresent(builds::add);
                        }
                    }
                } else {
                    builds = query(tally);
                    if (builds.isEmpty()) {
                        throw new NotFoundException("no builds of definition " + definition + " in the store");
                    }
                }
                if (json()) {
                    ObjectNode o = JobJson.MAPPER.createObjectNode();
                    ArrayNode arr = o.putArray("builds");
                    builds.forEach(s -> arr.add(DefinitionJson.build(s)));
                    print(o);
                    return TallyCli.OK;
                }
                List<List<String>> rows = new ArrayList<>();
                for (JobSnapshot s : builds) {
                    rows.add(List.of(
                            s.id(),
                            s.state().name(),
                            s.startedAt().map(Object::toString).orElse("–"),
                            s.finishedAt().map(Object::toString).orElse("–"),
                            s.error().map(e -> Text.clip(e.message(), 60)).orElse("")));
                }
                console.out().print(Text.table(List.of("ID", "STATE", "STARTED", "FINISHED", "ERROR"), rows));
                if (rows.isEmpty()) {
                    println("(no builds)");
                }
            }
            return TallyCli.OK;
        }

        /** The jobs named after the definition whose metadata marks them as builds, newest first. */
        private List<JobSnapshot> query(Tally tally) {
            List<JobSnapshot> out = new ArrayList<>();
            JobQuery q = JobQuery.builder().name(definition).limit(100).build();
            for (int pages = 0; pages < 100 && out.size() < limit; pages++) {
                Page<JobSnapshot> page = tally.query(q);
                for (JobSnapshot s : page.items()) {
                    if (out.size() < limit && isBuild(s)) {
                        out.add(s);
                    }
                }
                if (page.next().isEmpty()) {
                    break;
                }
                q = q.toBuilder().cursor(page.next().get()).build();
            }
            return out;
        }

        private static boolean isBuild(JobSnapshot s) {
            try {
                return "build"
                        .equals(JobJson.MAPPER
                                .readTree(s.metadataJson())
                                .path("runner")
                                .asText());
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                return false;
            }
        }
    }

    // ------------------------------------------------------------------ worker

    /** {@code tally worker}: delegates to {@link Worker}. */
    @Command(
            name = "worker",
            description = "Run the builds and map-reduce parts dispatched to this process until it is stopped "
                    + "(io.tally.runner.Worker). Work is dispatched through a Redis Stream: --redis, or the store "
                    + "itself when it is redis://.")
    static final class WorkerCmd extends TallyCommand {
        @Option(
                names = "--definitions",
                paramLabel = "FILE",
                description = "the definitions file (default: env TALLY_DEFINITIONS)")
        Path definitions;

        @Option(names = "--classpath", paramLabel = "PATH", description = "see tally defs --help")
        String classpath;

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
            Path file = definitionsFile(console, definitions, true);
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
            useClasspath(console, classpath);
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
}
