package io.tally.cli;

import static io.tally.cli.TallyCli.OK;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tally.InvalidInputException;
import io.tally.Job;
import io.tally.Tally;
import io.tally.internal.Validation;
import io.tally.server.JobJson;
import io.tally.store.LogEntry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tally logs ID}: read a job's log, or append to it with {@code --append}. */
@Command(
        name = "logs",
        description = {
            "Print a job's log records, oldest first (JSON as GET /api/jobs/{id}/logs: {\"logs\":[…],\"next\"}); "
                    + "or, with --append, add records to it.",
            "A shell worker logs with: tally logs $ID --append 'read 100 rows', or: cmd 2>&1 | tally logs $ID "
                    + "--append - (one record per line)."
        })
final class LogsCommand extends TallyCommand {
    /** Records appended per store call when {@code --append -} reads many lines. */
    static final int APPEND_BATCH = 500;

    @Parameters(paramLabel = "ID", description = "the job id")
    String id;

    @Option(
            names = "--append",
            paramLabel = "TEXT|-",
            description = "add one record with this message; - adds one record per line of stdin")
    String append;

    @Option(
            names = "--level",
            defaultValue = "INFO",
            description = "with --append: the records' level, at most 16 characters (default ${DEFAULT-VALUE})")
    String level;

    @Option(names = "--logger", paramLabel = "NAME", description = "with --append: the records' logger name")
    String logger;

    @Option(
            names = "--after",
            paramLabel = "SEQ",
            defaultValue = "0",
            description = "print the records after this sequence number, e.g. the 'next' of a previous page")
    long after;

    @Option(
            names = "--limit",
            paramLabel = "N",
            defaultValue = "1000",
            description = "most records printed, 1–1000 (default ${DEFAULT-VALUE})")
    int limit;

    @Option(names = "--tail", paramLabel = "N", description = "print only the last N records, 1–1000")
    Integer tail;

    /** Where {@code --append -} reads from; tests replace it. */
    static volatile InputStream stdin = System.in;

    @Override
    public Integer call() throws IOException {
        if (append != null) {
            return append();
        }
        range("--limit", limit);
        if (tail != null) {
            range("--tail", tail);
        }
        if (after < 0) {
            throw new InvalidInputException("--after", "must not be negative, was " + after);
        }
        try (Tally tally = openForReading()) {
            Job job = tally.get(id);
            List<LogEntry> logs = tail != null ? JobLogs.tail(job, tail) : job.logs(after, limit);
            boolean full = tail == null && logs.size() == limit;
            if (json()) {
                ObjectNode o = JobJson.MAPPER.createObjectNode();
                ArrayNode arr = o.putArray("logs");
                logs.forEach(e -> arr.add(JobJson.log(e)));
                if (full) {
                    o.put("next", logs.get(logs.size() - 1).seq());
                } else {
                    o.putNull("next");
                }
                print(o);
            } else {
                logs.forEach(e -> println(JobLogs.line(e)));
                if (full) {
                    println("more: tally logs " + id + " --after "
                            + logs.get(logs.size() - 1).seq());
                }
            }
        }
        return OK;
    }

    private static String readLine(BufferedReader in) throws IOException {
        try {
            return in.readLine();
        } catch (CharacterCodingException e) {
            throw new InvalidInputException("--append", "stdin is not valid UTF-8");
        }
    }

    private Integer append() throws IOException {
        if (tail != null) {
            throw new InvalidInputException("--tail", "cannot be used with --append");
        }
        Validation.text("--level", level, 16);
        Validation.optionalText("--logger", logger, Validation.MAX_NAME);
        try (Tally tally = open()) {
            Job job = tally.get(id);
            if (!append.equals("-")) {
                job.log(List.of(entry(tally, append)));
                return OK;
            }
            // Strict UTF-8: a line that is not is refused rather than stored with U+FFFD in it. Lines are appended as
            // they come (stdin may be a long-running pipe), so those before a bad one stay.
            BufferedReader in = new BufferedReader(new InputStreamReader(
                    stdin,
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)));
            List<LogEntry> batch = new ArrayList<>();
            String line;
            while ((line = readLine(in)) != null) {
                batch.add(entry(tally, line));
                if (batch.size() == APPEND_BATCH) {
                    job.log(batch);
                    batch = new ArrayList<>();
                }
            }
            if (!batch.isEmpty()) {
                job.log(batch);
            }
        }
        return OK;
    }

    private LogEntry entry(Tally tally, String message) {
        // Job.log(entries) takes records as given, so the CLI checks each message as Job.log(level, message) would.
        Validation.optionalText("message", message, Validation.MAX_JSON_BYTES);
        Instant now = tally.clock().instant();
        return new LogEntry(0, now, level, logger, message);
    }

    private static void range(String option, int n) {
        if (n < 1 || n > 1000) {
            throw new InvalidInputException(option, "must be 1–1000, was " + n);
        }
    }
}
