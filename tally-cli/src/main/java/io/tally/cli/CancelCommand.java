package io.tally.cli;

import static io.tally.cli.TallyCli.OK;

import io.tally.Job;
import io.tally.JobSnapshot;
import io.tally.Tally;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tally cancel ID}. */
@Command(name = "cancel", description = "Cancel a job.")
final class CancelCommand extends TallyCommand {
    @Parameters(paramLabel = "ID", description = "the job id")
    String id;

    @Option(
            names = "--reason",
            paramLabel = "TEXT",
            description = "why, stored as the error message (default: cancelled)")
    String reason;

    @Override
    public Integer call() {
        try (Tally tally = open()) {
            Job job = tally.get(id);
            JobSnapshot s = job.cancel(reason);
            output().state(s);
        }
        return OK;
    }
}
