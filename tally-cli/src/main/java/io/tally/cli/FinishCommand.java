package io.tally.cli;

import static io.tally.cli.TallyCli.OK;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.tally.InvalidInputException;
import io.tally.Job;
import io.tally.Tally;
import io.tally.internal.Json;
import io.tally.internal.Validation;
import java.io.IOException;
import java.io.InputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tally finish ID}. */
@Command(
        name = "finish",
        description = "End a job as SUCCEEDED, with an optional JSON result, and print it. Finishing it again is a "
                + "no-op; finishing a FAILED or CANCELLED job exits 1.")
final class FinishCommand extends TallyCommand {
    @Parameters(paramLabel = "ID", description = "the job id")
    String id;

    @Option(
            names = "--result",
            paramLabel = "JSON|-",
            description = "the result: any JSON value, e.g. '{\"rows\":42}' or '\"done\"'; - reads it from stdin")
    String result;

    /** Where {@code --result -} reads from; tests replace it. */
    static volatile InputStream stdin = System.in;

    @Override
    public Integer call() throws IOException {
        // The result is parsed before the store is opened: malformed JSON changes nothing.
        JsonNode value = result == null ? null : parse(result.equals("-") ? read() : result);
        try (Tally tally = open()) {
            Job job = tally.get(id);
            // A JSON null is no result, as in POST /api/jobs/{id}/finish.
            output().state(value == null || value.isNull() ? job.finish() : job.finish(value));
        }
        return OK;
    }

    private static String read() throws IOException {
        return Validation.utf8("--result", stdin.readAllBytes());
    }

    /** @return the JSON value; a bare word such as {@code done} is refused rather than guessed to be a string */
    static JsonNode parse(String text) {
        if (text.isBlank()) {
            throw new InvalidInputException("--result", "is empty");
        }
        try {
            return Json.STRICT.readTree(text);
        } catch (JsonProcessingException e) {
            throw new InvalidInputException(
                    "--result", "not JSON (quote a string: '\"done\"'): " + e.getOriginalMessage());
        }
    }
}
