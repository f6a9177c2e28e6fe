package io.tally.cli;

import io.tally.Tally;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;

/**
 * The run that the AppCDS archive {@code target/tally.jsa} is dumped from at package time (tally-cli's pom runs it
 * with {@code -XX:ArchiveClassesAtExit}); the {@code tally} launcher starts the JVM with that archive, so the classes
 * loaded here are mapped from it, already parsed and verified, instead of read from the jar. It runs the commands a
 * shell worker calls in loops against a fresh SQLite file and {@code memory:}, in JSON and as text, and each command's
 * help. Not a command: nothing here is shown to users.
 */
public final class CdsTraining {
    /** How the commands open their store: the URL's store, or one memory store shared by the calls of a round. */
    private static Function<String, Tally> opener = Tally::open;

    private CdsTraining() {}

    /**
     * @param args one argument: a directory for the SQLite file (created if missing)
     * @throws IOException if the directory cannot be created
     */
    public static void main(String[] args) throws IOException {
        Path dir = Files.createDirectories(Path.of(args.length > 0 ? args[0] : "target/cds-training"));
        Path db = dir.resolve("training.db");
        Files.deleteIfExists(db);
        run(false, "--help");
        for (Class<?> c : TallyCli.COMMANDS) {
            String name = c.getAnnotation(picocli.CommandLine.Command.class).name();
            run(false, name, "--help");
        }
        // The bar of watch would be drawn on the build's console.
        WatchCommand.barStream = new java.io.PrintStream(java.io.OutputStream.nullOutputStream());
        try (Tally memory = Tally.open("memory:")) {
            for (boolean terminal : new boolean[] {false, true}) {
                opener = Tally::open;
                workerRound(terminal, "sqlite:" + db);
                opener = url -> Tally.builder()
                        .store(memory.storeSpi())
                        .closeStore(false)
                        .build();
                workerRound(terminal, "memory:");
            }
        }
        System.exit(0);
    }

    /** The calls of a shell worker, a map-reduce job and the reading commands, against one store. */
    private static void workerRound(boolean terminal, String store) {
        String id = run(
                        terminal,
                        "create",
                        "--store",
                        store,
                        "--name",
                        "training",
                        "--total",
                        "3",
                        "--timeout",
                        "1h",
                        "--heartbeat",
                        "PT30S",
                        "--retain-for",
                        "7d",
                        "--metadata",
                        "{\"a\":1}")
                .strip();
        run(terminal, "start", "--store", store, id);
        run(terminal, "progress", "--store", store, id, "--succeeded", "1", "--item", "k", "--message", "m");
        run(terminal, "logs", "--store", store, id, "--append", "line");
        run(terminal, "logs", "--store", store, id);
        run(terminal, "finish", "--store", store, id, "--result", "{\"rows\":3}");
        run(terminal, "info", "--store", store, id);
        run(terminal, "watch", "--store", store, id);
        run(terminal, "ls", "--store", store, "--limit", "1");
        run(terminal, "stats", "--store", store);
        run(terminal, "sweep", "--store", store);
        Path parts;
        try {
            parts = Files.createTempFile("tally-cds", ".json");
            Files.writeString(parts, "[{\"p\":0},{\"p\":1}]");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        String mr = run(terminal, "create", "--store", store, "--name", "mr", "--parts", parts.toString())
                .strip();
        run(terminal, "pending", "--store", store, mr);
        run(terminal, "complete", "--store", store, mr, "0");
        run(terminal, "fail", "--store", store, mr, "--part", "1", "--reason", "r");
        run(terminal, "cancel", "--store", store, mr);
        run(terminal, "info", "--store", store, "no-such-job");
        run(terminal, "progress", "--store", store, id, "--succeeded", "-1");
        run(terminal, "delete", "--store", store, mr);
        try {
            Files.deleteIfExists(parts);
        } catch (IOException ignored) {
            // a temporary file left behind is harmless
        }
    }

    /** @return what the command printed on stdout */
    private static String run(boolean terminal, String... args) {
        StringWriter out = new StringWriter();
        Console console =
                new Console(new PrintWriter(out), new PrintWriter(Writer.nullWriter()), terminal, Map.of(), opener);
        TallyCli.run(console, args);
        return out.toString();
    }
}
