package io.tally.cli;

import static io.tally.cli.TallyCli.OK;

import com.fasterxml.jackson.databind.JsonNode;
import io.tally.InvalidInputException;
import io.tally.JobSpec;
import io.tally.Tally;
import io.tally.server.JobJson;
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
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tally create}. */
@Command(name = "create", description = "Create a job and print its id.")
final class CreateCommand extends TallyCommand {
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
