package io.tally.cli;

import static io.tally.cli.TallyCli.OK;

import io.tally.InvalidInputException;
import io.tally.Tally;
import io.tally.internal.Urls;
import io.tally.micrometer.TallyMetrics;
import io.tally.server.TallyServer;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tally serve}: the HTTP API and dashboard. */
@Command(name = "serve", description = "Run the HTTP API and the live dashboard.")
final class ServeCommand extends TallyCommand {
    @Option(names = "--port", defaultValue = "8080", description = "TCP port (default ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to bind (default ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--token", description = "bearer token for writes (default: env TALLY_TOKEN)")
    String token;

    @Option(names = "--read-token", description = "bearer token for reads (default: env TALLY_READ_TOKEN)")
    String readToken;

    @Option(names = "--demo", description = "create sample jobs that make progress live")
    boolean demo;

    @Option(
            names = "--token-file",
            paramLabel = "FILE",
            description = "read the write token from FILE (its first line), kept out of the process list")
    Path tokenFile;

    @Option(
            names = "--read-token-file",
            paramLabel = "FILE",
            description = "read the read token from FILE (its first line)")
    Path readTokenFile;

    @Option(
            names = "--insecure",
            description = "allow binding an address other machines reach (--host) without a write token")
    boolean insecure;

    @Option(
            names = "--allowed-host",
            paramLabel = "NAME",
            description = "a further host name the server is reached by (repeatable); other Host headers get 421."
                    + " Default: the loopback and the bound address")
    java.util.List<String> allowedHosts = new java.util.ArrayList<>();

    @Option(
            names = "--max-parts",
            defaultValue = "10000",
            description = "most parts a job created over HTTP may have (default ${DEFAULT-VALUE})")
    int maxParts;

    @Option(
            names = "--max-items",
            defaultValue = "10000",
            description = "most keyed items one progress request may carry (default ${DEFAULT-VALUE})")
    int maxItems;

    @Option(
            names = "--max-metadata-bytes",
            defaultValue = "65536",
            description = "most bytes of a job's metadata as JSON (default and most: ${DEFAULT-VALUE})")
    int maxMetadataBytes;

    @Option(
            names = "--max-event-streams",
            defaultValue = "1000",
            description = "most concurrent /api/events streams; past it 503 (default ${DEFAULT-VALUE})")
    int maxEventStreams;

    /** --definitions and --classpath; their help here comes from help.properties (tally.serve.*). */
    @Mixin
    DefinitionsOption definitionsOption;

    /**
     * @return the token from the option, else its file's first line, else the environment; null for none. A token
     *     on the command line works, with a warning: any user of the machine can read it in the process list.
     */
    private String token(String option, String value, String fileOption, Path file, String env) {
        if (value != null && file != null) {
            throw new InvalidInputException(option, "give " + option + " or " + fileOption + ", not both");
        }
        if (value != null) {
            console.err()
                    .println("tally: warning: " + option + " shows the token to every user of this machine (the"
                            + " process list); prefer " + env + " or " + fileOption);
            return value.isEmpty() ? null : value;
        }
        if (file != null) {
            String first;
            try {
                first = java.nio.file.Files.readAllLines(file).stream()
                        .findFirst()
                        .orElse("")
                        .strip();
            } catch (java.io.IOException | java.io.UncheckedIOException e) {
                throw new InvalidInputException(fileOption, "cannot read " + file + ": " + e.getMessage());
            }
            if (first.isEmpty()) {
                throw new InvalidInputException(fileOption, file + " holds no token on its first line");
            }
            return first;
        }
        String fromEnv = console.env().get(env);
        return fromEnv == null || fromEnv.isEmpty() ? null : fromEnv;
    }

    /**
     * Applies one option to the server's settings, answering the builder's refusal as bad input naming the option (the
     * builder's message names its setter, then says what it must be).
     */
    private static void option(String name, Runnable apply) {
        try {
            apply.run();
        } catch (IllegalArgumentException e) {
            String m = String.valueOf(e.getMessage());
            throw new InvalidInputException(name, m.contains("must") ? m.substring(m.indexOf("must")) : m);
        }
    }

    /** @return whether {@code host} is an address only this machine reaches */
    private static boolean isLoopback(String host) {
        String h = host.strip();
        return h.equals("localhost") || h.equals("::1") || h.equals("[::1]") || h.startsWith("127.");
    }

    /** Set by tests to stop the server; the real command runs until the process ends. */
    static volatile java.util.function.Consumer<TallyServer> started = s -> {};

    @Override
    public Integer call() throws Exception {
        // Options are input, checked before the store is opened: the server's builder checks each setting (its
        // rule, written once) and its refusal is answered as this option's.
        TallyServer.Builder settings = TallyServer.builder();
        option("--port", () -> settings.port(port));
        option("--host", () -> settings.host(host));
        option("--allowed-host", () -> settings.allowedHosts(allowedHosts));
        option("--max-event-streams", () -> settings.maxEventStreams(maxEventStreams));
        option("--max-parts", () -> settings.maxParts(maxParts));
        option("--max-items", () -> settings.maxItemsPerRequest(maxItems));
        option("--max-metadata-bytes", () -> settings.maxMetadataBytes(maxMetadataBytes));
        String tok = token("--token", token, "--token-file", tokenFile, "TALLY_TOKEN");
        String readTok = token("--read-token", readToken, "--read-token-file", readTokenFile, "TALLY_READ_TOKEN");
        if (!isLoopback(host) && tok == null && readTok == null && !insecure) {
            throw new InvalidInputException(
                    "--host",
                    "binding " + host + " lets other machines reach the API, which then takes writes from anyone:"
                            + " set a token (TALLY_TOKEN or --token-file) or pass --insecure");
        }
        String url = storeUrl();
        if (url.startsWith("sqlite:") && !Stores.hasProvider(url)) {
            console.err()
                    .println("tally: the SQLite store is not in this build (add io.tally:tally-sqlite); "
                            + "serving from memory: instead, so jobs are lost when the server stops. "
                            + "Pass --store to choose another store.");
            console.err().flush();
            url = "memory:";
        }
        Tally opened = console.opener().apply(url);
        // Instrumentation is given when a Tally is built, and the opener hands a built one: the served Tally is a
        // second one on the opened store, with the job meters of /metrics around it (what it writes and sweeps).
        TallyMetrics metrics = new TallyMetrics();
        Tally tally = Tally.builder()
                .store(opened.storeSpi())
                .clock(opened.clock())
                .closeStore(false)
                .instrumentation(metrics)
                .build();
        Runnable closeTallies = () -> {
            tally.close();
            opened.close();
        };
        io.tally.runner.Runner runner = null;
        Path defs = definitionsOption.file(console, false);
        if (defs != null) {
            try {
                definitionsOption.useClasspath(console);
                runner = io.tally.runner.Runner.builder(tally).definitions(defs).build();
            } catch (RuntimeException e) {
                closeTallies.run();
                throw e;
            }
        }
        io.tally.runner.Runner defsRunner = runner;
        TallyServer server = settings.tally(tally)
                .metrics(metrics)
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
            closeTallies.run();
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
        closeTallies.run();
        return OK;
    }
}
