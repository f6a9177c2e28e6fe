package io.tally.cli;

import static io.tally.cli.TallyCli.OK;

import io.tally.InvalidInputException;
import io.tally.JobNotFoundException;
import io.tally.JobSnapshot;
import io.tally.Tally;
import io.tally.store.LogEntry;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tally info ID}. */
@Command(
        name = "info",
        description = "Show one job: its fields, the roll-up of its children, the reduce of a map-reduce job (the "
                + "child job ID:reduce) with its result, and the last lines of its log.")
final class InfoCommand extends TallyCommand {
    /** The reduce job's id is the parts job's id with this suffix: tally-runner's convention, kept by shell workers. */
    static final String REDUCE_SUFFIX = ":reduce";

    @Parameters(paramLabel = "ID", description = "the job id")
    String id;

    @Option(
            names = "--logs",
            paramLabel = "N",
            defaultValue = "10",
            description = "show the last N log records, 0–1000; 0 shows none (default ${DEFAULT-VALUE})")
    int logs;

    @Override
    public Integer call() {
        if (logs < 0 || logs > 1000) {
            throw new InvalidInputException("--logs", "must be 0–1000, was " + logs);
        }
        try (Tally tally = openForReading()) {
            JobSnapshot s = tally.snapshot(id).orElseThrow(() -> new JobNotFoundException(id));
            Optional<JobSnapshot> reduce = s.parts() > 0 ? reduceOf(tally, id) : Optional.empty();
            List<LogEntry> tail = logs > 0 ? JobLogs.tail(tally.get(id), logs) : List.of();
            output().job(s, reduce, tail, logs);
        }
        return OK;
    }

    /** @return the reduce job of a map-reduce job, when there is one (an id too long for a suffix has none) */
    private static Optional<JobSnapshot> reduceOf(Tally tally, String id) {
        String reduceId = id + REDUCE_SUFFIX;
        return reduceId.length() > io.tally.internal.Validation.MAX_ID ? Optional.empty() : tally.snapshot(reduceId);
    }
}
