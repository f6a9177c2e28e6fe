package io.tally.cli;

import static io.tally.cli.TallyCli.OK;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.tally.InvalidInputException;
import io.tally.JobSpec;
import io.tally.Tally;
import io.tally.internal.Json;
import io.tally.internal.Validation;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tally create}. */
@Command(name = "create", description = "Create a job and print its id.")
final class CreateCommand extends TallyCommand {
    @Option(names = "--name", required = true, description = "what the job is, e.g. import (required)")
    String name;

    @Option(names = "--total", description = "amount of work (default: unknown, or the number of parts)")
    Long total;

    @Option(names = "--scope", description = "who or what the job belongs to, e.g. user:3421 (tally ls --scope)")
    String scope;

    @Option(names = "--parent", paramLabel = "ID", description = "the parent job: its info rolls up this job's counts")
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

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "execution deadline from the start; past it tally sweep (or a server's sweeper) fails the "
                    + "job as timeout: PT30S, 30 (seconds), 30s, 5m, 2h, 7d (default: none)")
    Duration timeout;

    @Option(
            names = "--heartbeat",
            paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "lease of a RUNNING job, renewed by every tally progress (or tally start): a job silent for "
                    + "this long is failed as stalled by the sweep (default: no lease)")
    Duration heartbeat;

    @Option(
            names = "--retain-for",
            paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "keep the job this long after it finishes, then the sweep deletes it (default: forever)")
    Duration retainFor;

    @Option(
            names = "--tolerated-failures",
            paramLabel = "N",
            description = "with --parts: failed parts that still let the job succeed when no part is left pending "
                    + "(default 0: a failed part waits for its retry)")
    Integer toleratedFailures;

    @Option(names = "--message", paramLabel = "TEXT", description = "an initial status line")
    String message;

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
        if (timeout != null) {
            spec.timeout(timeout);
        }
        if (heartbeat != null) {
            spec.heartbeat(heartbeat);
        }
        if (retainFor != null) {
            spec.retainFor(retainFor);
        }
        if (toleratedFailures != null) {
            if (parts == null) {
                // Without parts nothing would ever read it: say so rather than store a setting that does nothing.
                throw new InvalidInputException("--tolerated-failures", "needs --parts");
            }
            spec.toleratedFailures(toleratedFailures);
        }
        if (message != null) {
            spec.message(message);
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
            text = Validation.utf8("--parts", stdin.readAllBytes());
        } else {
            try {
                text = Validation.utf8("--parts", Files.readAllBytes(Path.of(source)));
            } catch (NoSuchFileException e) {
                throw new InvalidInputException("parts", "no such file: " + source);
            }
        }
        List<JsonNode> out = new ArrayList<>();
        String trimmed = text.strip();
        try {
            if (trimmed.startsWith("[")) {
                JsonNode arr = Json.STRICT.readTree(trimmed);
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
                            out.add(Json.STRICT.readTree(line));
                        } catch (IOException e) {
                            throw new InvalidInputException(
                                    "parts",
                                    "line " + n + " is not one JSON value: "
                                            + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e));
                        }
                    }
                }
            }
        } catch (JsonProcessingException e) {
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
