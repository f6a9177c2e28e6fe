package io.tally.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tally.InvalidInputException;
import io.tally.Job;
import io.tally.JobNotFoundException;
import io.tally.JobQuery;
import io.tally.JobSnapshot;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.Page;
import io.tally.PartCompletion;
import io.tally.Progress;
import io.tally.SweepResult;
import io.tally.Tally;
import io.tally.internal.Urls;
import io.tally.jdbc.Dialect;
import io.tally.jdbc.JdbcJobStore;
import io.tally.jdbc.JdbcJobStoreProvider;
import io.tally.server.JobJson;
import io.tally.server.TallyServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The {@code tally} command. Exit codes: 0 ok, 1 the job failed ({@code watch}) or the job's state refused the
 * operation, 2 usage error or invalid input, 3 job not found, 4 store unavailable. Errors are one line on stderr; a
 * stack trace only with {@code --verbose}.
 */
@Command(
        name = "tally",
        mixinStandardHelpOptions = true,
        // --help and --version on every subcommand too: "tally create --help" shows its options instead of
        // complaining that --name is missing.
        scope = CommandLine.ScopeType.INHERIT,
        version = "tally 0.1.0",
        description = "Track the progress of long-running and distributed jobs.",
        subcommands = {
            TallyCli.Serve.class,
            TallyCli.Ls.class,
            TallyCli.Info.class,
            TallyCli.Pending.class,
            TallyCli.Watch.class,
            TallyCli.Create.class,
            TallyCli.Complete.class,
            TallyCli.Fail.class,
            TallyCli.Cancel.class,
            TallyCli.Sweep.class,
            TallyCli.Migrate.class,
            RunnerCommands.Defs.class,
            RunnerCommands.BuildDef.class,
            RunnerCommands.Builds.class,
            RunnerCommands.WorkerCmd.class,
            CommandLine.HelpCommand.class
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:ok",
            "1:the job or build failed (watch, build), or its state refused the operation",
            "2:usage error or invalid input",
            "3:job or definition not found",
            "4:store unavailable"
        })
public final class TallyCli implements Callable<Integer> {
    /** Success. */
    public static final int OK = 0;
    /** The job did not succeed (watch), or its state refused the operation. */
    public static final int JOB_FAILED = 1;
    /** Bad command line or input. */
    public static final int USAGE = 2;
    /** No such job. */
    public static final int NOT_FOUND = 3;
    /** The store cannot be reached. */
    public static final int UNAVAILABLE = 4;
    /** The store used when neither {@code --store} nor {@code TALLY_STORE} is given. */
    public static final String DEFAULT_STORE = "sqlite:tally.db";

    private final Console console;

    /** @param console where the commands read and write */
    public TallyCli(Console console) {
        this.console = console;
    }

    /** Runs the command line and exits the JVM with its exit code. */
    public static void main(String[] args) {
        System.exit(run(Console.system(), args));
    }

    /**
     * Runs one command line.
     *
     * @return the exit code
     */
    public static int run(Console console, String... args) {
        TallyCli cli = new TallyCli(console);
        CommandLine cmd = new CommandLine(cli, new ConsoleFactory(console));
        cmd.setOut(console.out());
        cmd.setErr(console.err());
        cmd.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            boolean verbose = List.of(args).contains("--verbose");
            int code = Errors.exitCode(e);
            console.err().println("tally: " + Errors.message(e));
            if (verbose) {
                e.printStackTrace(console.err());
            }
            console.err().flush();
            return code;
        });
        cmd.setParameterExceptionHandler((e, args2) -> {
            console.err().println("tally: " + e.getMessage());
            console.err().println("Try 'tally " + e.getCommandLine().getCommandName() + " --help'.");
            console.err().flush();
            return USAGE;
        });
        int code = cmd.execute(args);
        console.out().flush();
        return code;
    }

    @Override
    public Integer call() {
        new CommandLine(this).usage(console.out());
        return USAGE;
    }

    // ------------------------------------------------------------------ serve

    /** {@code tally serve}: the HTTP API and dashboard. */
    @Command(name = "serve", description = "Run the HTTP API and the live dashboard.")
    static final class Serve extends TallyCommand {
        @Option(names = "--port", defaultValue = "8080", description = "TCP port (default ${DEFAULT-VALUE})")
        int port;

        @Option(
                names = "--host",
                defaultValue = "127.0.0.1",
                description = "address to bind (default ${DEFAULT-VALUE})")
        String host;

        @Option(names = "--token", description = "bearer token for writes (default: env TALLY_TOKEN)")
        String token;

        @Option(names = "--read-token", description = "bearer token for reads (default: env TALLY_READ_TOKEN)")
        String readToken;

        @Option(names = "--demo", description = "create sample jobs that make progress live")
        boolean demo;

        @Option(
                names = "--definitions",
                paramLabel = "FILE",
                description = "job definitions (YAML or JSON) to list and build at /api/definitions "
                        + "(default: env TALLY_DEFINITIONS, else none)")
        Path definitions;

        @Option(
                names = "--classpath",
                paramLabel = "PATH",
                description = "jars and directories holding the definitions' classes (default: env TALLY_CLASSPATH)")
        String classpath;

        /** Set by tests to stop the server; the real command runs until the process ends. */
        static volatile java.util.function.Consumer<TallyServer> started = s -> {};

        @Override
        public Integer call() throws Exception {
            String url = storeUrl();
            Tally tally;
            if (url.startsWith("sqlite:") && !Stores.hasProvider(url)) {
                console.err()
                        .println("tally: the SQLite store is not in this build (module tally-jdbc is missing); "
                                + "serving from memory: instead, so jobs are lost when the server stops. "
                                + "Pass --store to choose another store.");
                console.err().flush();
                url = "memory:";
            }
            tally = console.opener().apply(url);
            io.tally.runner.Runner runner = null;
            Path defs = RunnerCommands.definitionsFile(console, definitions, false);
            if (defs != null) {
                try {
                    RunnerCommands.useClasspath(console, classpath);
                    runner = io.tally.runner.Runner.builder(tally)
                            .definitions(defs)
                            .build();
                } catch (RuntimeException e) {
                    tally.close();
                    throw e;
                }
            }
            io.tally.runner.Runner defsRunner = runner;
            String tok = token != null ? token : console.env().get("TALLY_TOKEN");
            String readTok = readToken != null ? readToken : console.env().get("TALLY_READ_TOKEN");
            TallyServer server = TallyServer.builder()
                    .tally(tally)
                    .host(host)
                    .port(port)
                    .token(tok)
                    .readToken(readTok)
                    .runner(runner)
                    .build()
                    .start();
            Demo demoJobs = demo ? Demo.start(tally) : null;
            Thread hook = new Thread(() -> {
                if (demoJobs != null) {
                    demoJobs.close();
                }
                server.close();
                if (defsRunner != null) {
                    defsRunner.close();
                }
                tally.close();
            });
            Runtime.getRuntime().addShutdownHook(hook);
            console.out()
                    .println("Tally dashboard and API on " + server.url() + "/ (store " + Urls.mask(url) + ")"
                            + (demo ? " with demo jobs" : "")
                            + (runner != null ? " with " + runner.definitions().size() + " definitions" : "")
                            + "; Ctrl-C stops it.");
            console.out().flush();
            started.accept(server);
            server.join();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                return OK; // Ctrl-C: the hook closes everything
            }
            if (demoJobs != null) {
                demoJobs.close();
            }
            if (runner != null) {
                runner.close();
            }
            tally.close();
            return OK;
        }
    }

    // ------------------------------------------------------------------ ls / info / pending

    /** {@code tally ls}. */
    @Command(name = "ls", description = "List jobs, newest first.")
    static final class Ls extends TallyCommand {
        @Option(names = "--state", description = "PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED or SKIPPED")
        String state;

        @Option(names = "--scope")
        String scope;

        @Option(names = "--name")
        String name;

        @Option(names = "--parent")
        String parent;

        @Option(names = "--limit", defaultValue = "50", description = "page size, 1–1000 (default ${DEFAULT-VALUE})")
        int limit;

        @Option(names = "--cursor", description = "the 'next' cursor of a previous page")
        String cursor;

        @Override
        public Integer call() {
            JobQuery.Builder q = JobQuery.builder()
                    .scope(scope)
                    .name(name)
                    .parent(parent)
                    .limit(limit)
                    .cursor(cursor);
            if (state != null) {
                try {
                    q.state(JobState.valueOf(state.toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new InvalidInputException(
                            "state", "must be one of PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED, SKIPPED");
                }
            }
            try (Tally tally = open()) {
                Page<JobSnapshot> page = tally.query(q.build());
                if (json()) {
                    ObjectNode o = JobJson.MAPPER.createObjectNode();
                    ArrayNode jobs = o.putArray("jobs");
                    page.items().forEach(s -> jobs.add(JobJson.job(s, false)));
                    o.put("next", page.next().orElse(null));
                    print(o);
                } else {
                    List<List<String>> rows = new ArrayList<>();
                    for (JobSnapshot s : page.items()) {
                        rows.add(List.of(
                                s.id(),
                                Text.clip(s.name(), 30),
                                s.state().name(),
                                Text.progress(s),
                                Text.rate(s.progress().rate()),
                                Text.eta(s.progress().eta()),
                                s.createdAt().toString()));
                    }
                    console.out()
                            .print(Text.table(
                                    List.of("ID", "NAME", "STATE", "PROGRESS", "RATE", "ETA", "CREATED"), rows));
                    if (page.items().isEmpty()) {
                        println("(no jobs)");
                    }
                    page.next().ifPresent(n -> println("more: tally ls --cursor " + n));
                }
            }
            return OK;
        }
    }

    /** {@code tally info ID}. */
    @Command(name = "info", description = "Show one job.")
    static final class Info extends TallyCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        public Integer call() {
            try (Tally tally = open()) {
                JobSnapshot s = tally.snapshot(id).orElseThrow(() -> new JobNotFoundException(id));
                if (json()) {
                    print(JobJson.job(s, true));
                    return OK;
                }
                Progress p = s.progress();
                List<List<String>> rows = new ArrayList<>();
                rows.add(List.of("id", s.id()));
                rows.add(List.of("name", s.name()));
                s.scope().ifPresent(v -> rows.add(List.of("scope", v)));
                s.parent().ifPresent(v -> rows.add(List.of("parent", v)));
                rows.add(List.of("state", s.state().name()));
                rows.add(List.of("progress", Text.progress(s)));
                rows.add(List.of("succeeded", Long.toString(p.succeeded())));
                rows.add(List.of("failed", Long.toString(p.failed())));
                rows.add(List.of("pending", Long.toString(p.pending())));
                rows.add(List.of("rate", Text.rate(p.rate())));
                rows.add(List.of("eta", Text.eta(p.eta())));
                if (s.parts() > 0) {
                    rows.add(List.of("parts", s.parts() + (s.settled() ? " (settled)" : "")));
                }
                rows.add(List.of("created", s.createdAt().toString()));
                s.startedAt().ifPresent(v -> rows.add(List.of("started", v.toString())));
                s.finishedAt().ifPresent(v -> rows.add(List.of("finished", v.toString())));
                s.message().ifPresent(v -> rows.add(List.of("message", Text.clip(v, 200))));
                if (!s.metadataJson().equals("{}")) {
                    rows.add(List.of("metadata", s.metadataJson()));
                }
                s.resultJson().ifPresent(v -> rows.add(List.of("result", Text.clip(v, 500))));
                s.error()
                        .ifPresent(e -> rows.add(List.of(
                                "error",
                                "[" + e.reason().code() + "] " + (e.type() == null ? "" : e.type() + ": ")
                                        + e.message())));
                Progress r = s.rollup();
                if (r.total() != p.total() || r.done() != p.done()) {
                    rows.add(List.of(
                            "with children",
                            r.done() + (r.total() > 0 ? "/" + r.total() + " " + Text.percent(r.percent()) : "")));
                }
                for (List<String> row : rows) {
                    println(Text.pad(row.get(0) + ":", 15) + row.get(1));
                }
            }
            return OK;
        }
    }

    /** {@code tally pending ID}. */
    @Command(name = "pending", description = "Print the pending part numbers, one per line.")
    static final class Pending extends TallyCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--array", description = "print one JSON array instead")
        boolean array;

        @Override
        public Integer call() {
            try (Tally tally = open()) {
                if (array) {
                    print(JobJson.MAPPER.valueToTree(tally.pendingParts(id).collect(Collectors.toList())));
                } else {
                    tally.pendingParts(id).forEach(n -> console.out().println(n));
                }
            }
            return OK;
        }
    }

    // ------------------------------------------------------------------ watch

    /** {@code tally watch ID}. */
    @Command(
            name = "watch",
            description = "Follow a job until it ends; exit 0 if it SUCCEEDED, 1 otherwise.",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:SUCCEEDED", "1:FAILED, CANCELLED or SKIPPED", "3:not found", "4:store unavailable"})
    static final class Watch extends TallyCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Option(
                names = "--interval",
                defaultValue = "500",
                description = "milliseconds between reads (default ${DEFAULT-VALUE})")
        long intervalMillis;

        @Override
        public Integer call() throws InterruptedException {
            // Polls the store rather than subscribing: another process's writes to SQLite reach no in-process channel.
            try (Tally tally = open()) {
                JobSnapshot s = tally.snapshot(id).orElseThrow(() -> new JobNotFoundException(id));
                if (json()) {
                    String last = "";
                    while (true) {
                        String line = JobJson.job(s, false).toString();
                        String key = s.state() + " " + s.succeeded() + " " + s.failed() + " " + s.total();
                        if (!key.equals(last)) {
                            println(line);
                            console.out().flush();
                            last = key;
                        }
                        if (s.state().isTerminal()) {
                            break;
                        }
                        Thread.sleep(Math.max(50, intervalMillis));
                        s = tally.snapshot(id).orElseThrow(() -> new JobNotFoundException(id));
                    }
                } else {
                    s = bar(tally, s);
                    println(s.name() + ": " + s.state() + ", " + Text.progress(s)
                            + s.error().map(e -> " - " + e.message()).orElse(""));
                }
                return s.state() == JobState.SUCCEEDED ? OK : JOB_FAILED;
            }
        }

        private JobSnapshot bar(Tally tally, JobSnapshot first) throws InterruptedException {
            JobSnapshot[] cur = {first};
            try (ProgressBar pb = new ProgressBarBuilder()
                    .setTaskName(Text.clip(first.name(), 24))
                    .setInitialMax(first.total() > 0 ? first.total() : -1)
                    .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
                    .setUpdateIntervalMillis(200)
                    .showSpeed()
                    .setEtaFunction(state -> cur[0].progress().eta())
                    .build()) {
                while (true) {
                    JobSnapshot s = cur[0];
                    if (s.total() > 0) {
                        pb.maxHint(s.total());
                    }
                    pb.stepTo(s.succeeded() + s.failed());
                    pb.setExtraMessage(s.state() + " ok " + s.succeeded() + " failed " + s.failed() + " "
                            + Text.rate(s.progress().rate()));
                    if (s.state().isTerminal()) {
                        pb.refresh();
                        return s;
                    }
                    Thread.sleep(Math.max(50, intervalMillis));
                    cur[0] = tally.snapshot(id).orElseThrow(() -> new JobNotFoundException(id));
                }
            }
        }
    }

    // ------------------------------------------------------------------ writes

    /** {@code tally create}. */
    @Command(name = "create", description = "Create a job and print its id.")
    static final class Create extends TallyCommand {
        @Option(names = "--name", required = true)
        String name;

        @Option(names = "--total", description = "amount of work (default: unknown, or the number of parts)")
        Long total;

        @Option(names = "--scope")
        String scope;

        @Option(names = "--parent")
        String parent;

        @Option(names = "--id", description = "the job id (default: a new UUIDv7)")
        String id;

        @Option(names = "--start", description = "create it RUNNING")
        boolean start;

        @Option(names = "--metadata", paramLabel = "JSON", description = "a JSON object")
        String metadata;

        @Option(
                names = "--parts",
                paramLabel = "FILE|-",
                description = "part payloads: a JSON array of objects, or one JSON object per line; - reads stdin")
        String parts;

        /** Where {@code --parts -} reads from; tests replace it. */
        static volatile InputStream stdin = System.in;

        @Override
        public Integer call() throws IOException {
            JobSpec.Builder spec = JobSpec.builder().name(name).start(start);
            if (total != null) {
                spec.total(total);
            }
            if (scope != null) {
                spec.scope(scope);
            }
            if (parent != null) {
                spec.parent(parent);
            }
            if (id != null) {
                spec.id(id);
            }
            if (metadata != null) {
                spec.metadataJson(metadata);
            }
            if (parts != null) {
                spec.parts(readParts(parts));
            }
            JobSpec built = spec.build();
            try (Tally tally = open()) {
                println(tally.create(built).id());
            }
            return OK;
        }

        static List<JsonNode> readParts(String source) throws IOException {
            String text;
            if (source.equals("-")) {
                text = new String(stdin.readAllBytes(), StandardCharsets.UTF_8);
            } else {
                try {
                    text = Files.readString(Path.of(source));
                } catch (NoSuchFileException e) {
                    throw new InvalidInputException("parts", "no such file: " + source);
                }
            }
            List<JsonNode> out = new ArrayList<>();
            String trimmed = text.strip();
            try {
                if (trimmed.startsWith("[")) {
                    JsonNode arr = JobJson.MAPPER.readTree(trimmed);
                    arr.forEach(out::add);
                } else {
                    BufferedReader r = new BufferedReader(new InputStreamReader(
                            new java.io.ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)),
                            StandardCharsets.UTF_8));
                    String line;
                    int n = 0;
                    while ((line = r.readLine()) != null) {
                        n++;
                        if (!line.isBlank()) {
                            try {
                                out.add(JobJson.MAPPER.readTree(line));
                            } catch (IOException e) {
                                throw new InvalidInputException("parts", "line " + n + " is not JSON");
                            }
                        }
                    }
                }
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new InvalidInputException("parts", "not a JSON array: " + e.getOriginalMessage());
            }
            for (int i = 0; i < out.size(); i++) {
                if (!out.get(i).isObject()) {
                    throw new InvalidInputException("parts", "part " + i + " must be a JSON object");
                }
            }
            if (out.isEmpty()) {
                throw new InvalidInputException("parts", "no parts in " + source);
            }
            return out;
        }
    }

    /** {@code tally complete ID PART}. */
    @Command(
            name = "complete",
            description = "Mark a part done; prints {\"first\":…,\"remaining\":…,\"last\":…}. "
                    + "Exactly one call per job ever prints \"last\":true: run the reduce on it.")
    static final class Complete extends TallyCommand {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Parameters(index = "1", paramLabel = "PART")
        int part;

        @Override
        public Integer call() {
            try (Tally tally = open()) {
                PartCompletion c = tally.completePart(id, part);
                print(JobJson.completion(c));
            }
            return OK;
        }
    }

    /** {@code tally fail ID}. */
    @Command(name = "fail", description = "Fail a part (with --part) or the whole job.")
    static final class Fail extends TallyCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--part", paramLabel = "N")
        Integer part;

        @Option(names = "--reason", required = true)
        String reason;

        @Option(names = "--fail-job", description = "with --part: fail the whole job (reason part_failed)")
        boolean failJob;

        @Override
        public Integer call() {
            try (Tally tally = open()) {
                if (part != null) {
                    print(JobJson.completion(tally.failPart(id, part, reason, failJob)));
                } else {
                    if (failJob) {
                        throw new InvalidInputException("--fail-job", "needs --part (without it the job fails)");
                    }
                    JobSnapshot s = tally.get(id).fail(reason);
                    printState(s);
                }
            }
            return OK;
        }

        private void printState(JobSnapshot s) {
            if (json()) {
                print(JobJson.job(s, false));
            } else {
                println(s.id() + " " + s.state());
            }
        }
    }

    /** {@code tally cancel ID}. */
    @Command(name = "cancel", description = "Cancel a job.")
    static final class Cancel extends TallyCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--reason")
        String reason;

        @Override
        public Integer call() {
            try (Tally tally = open()) {
                Job job = tally.get(id);
                JobSnapshot s = job.cancel(reason);
                if (json()) {
                    print(JobJson.job(s, false));
                } else {
                    println(s.id() + " " + s.state());
                }
            }
            return OK;
        }
    }

    /** {@code tally sweep}. */
    @Command(name = "sweep", description = "Fail stalled and timed-out jobs and delete expired ones, once.")
    static final class Sweep extends TallyCommand {
        @Override
        public Integer call() {
            try (Tally tally = open()) {
                SweepResult r = tally.sweep();
                if (json()) {
                    print(JobJson.sweep(r));
                } else {
                    println("stalled: " + r.stalled() + ", timed out: " + r.timedOut() + ", deleted: " + r.deleted());
                }
            }
            return OK;
        }
    }

    // ------------------------------------------------------------------ migrate

    /** {@code tally migrate}: applies the SQL stores' schema migrations explicitly. */
    @Command(
            name = "migrate",
            description = {
                "Apply the schema migrations to a SQL store; with --status, only show its schema version.",
                "For sqlite:, postgresql:// and mariadb:// stores, which migrate when opened unless the URL has "
                        + "?migrate=false. The store is opened without migrating, migrated, and the schema version "
                        + "before and after printed. Other stores have no schema: exit 2."
            })
    static final class Migrate extends TallyCommand {
        @Option(
                names = {"--status", "--dry-run"},
                description = "only print the store's schema version and the latest this tally ships; apply nothing")
        boolean status;

        @Override
        public Integer call() {
            String url = storeUrl();
            boolean sql = new JdbcJobStoreProvider().supports(url);
            if (!sql && Stores.hasProvider(url)) {
                throw noSchema(url);
            }
            // An unknown scheme goes to open() unchanged, which names the schemes there are.
            try (Tally tally = Stores.open(console, sql ? withoutMigrating(url) : url)) {
                if (!(tally.store() instanceof JdbcJobStore store)) {
                    throw noSchema(url);
                }
                int before = store.schemaVersion();
                int latest = latestVersion(store.dialect());
                if (status) {
                    if (json()) {
                        ObjectNode o = JobJson.MAPPER.createObjectNode();
                        o.put("store", Urls.mask(url));
                        o.put("version", before);
                        o.put("latest", latest);
                        o.put("upToDate", before >= latest);
                        print(o);
                    } else {
                        long pending = store.dialect().migrations().stream()
                                .filter(m -> m.version() > before)
                                .count();
                        println("schema version " + before + ", latest " + latest
                                + (pending > 0
                                        ? " (run tally migrate to apply " + pending + " migration"
                                                + (pending == 1 ? "" : "s") + ")"
                                        : before > latest ? " (the store is newer than this tally)" : " (up to date)"));
                    }
                    return OK;
                }
                int after = store.migrate();
                if (json()) {
                    ObjectNode o = JobJson.MAPPER.createObjectNode();
                    o.put("store", Urls.mask(url));
                    o.put("before", before);
                    o.put("after", after);
                    o.put("latest", latest);
                    print(o);
                } else if (after == before) {
                    println("schema already at version " + after
                            + (after > latest ? " (newer than this tally's " + latest + ")" : ""));
                } else {
                    println("schema version " + before + " -> " + after);
                }
            }
            return OK;
        }

        private static InvalidInputException noSchema(String url) {
            return new InvalidInputException(
                    "store",
                    Urls.mask(url) + " has no schema to migrate; tally migrate is for the SQL stores "
                            + "(sqlite:, postgresql://, mariadb://)");
        }

        /** @return the highest version among the dialect's shipped migrations, 0 if it ships none */
        static int latestVersion(Dialect dialect) {
            return dialect.migrations().stream()
                    .mapToInt(Dialect.Migration::version)
                    .max()
                    .orElse(0);
        }

        /**
         * @return the URL with {@code migrate=false} in place of any {@code migrate} option, its other options kept:
         *     the store opens without migrating, so this command sees the version from before and applies the
         *     migrations itself
         */
        static String withoutMigrating(String url) {
            int q = url.indexOf('?');
            StringBuilder out = new StringBuilder(q < 0 ? url : url.substring(0, q)).append('?');
            if (q >= 0) {
                for (String pair : url.substring(q + 1).split("&")) {
                    String key = pair.split("=", 2)[0];
                    if (!pair.isEmpty() && !key.equals("migrate")) {
                        out.append(pair).append('&');
                    }
                }
            }
            return out.append("migrate=false").toString();
        }
    }
}
