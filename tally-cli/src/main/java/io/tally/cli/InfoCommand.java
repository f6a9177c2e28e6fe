package io.tally.cli;

import static io.tally.cli.TallyCli.OK;

import io.tally.JobNotFoundException;
import io.tally.JobSnapshot;
import io.tally.Tally;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code tally info ID}. */
@Command(name = "info", description = "Show one job.")
final class InfoCommand extends TallyCommand {
    @Parameters(paramLabel = "ID")
    String id;

    @Override
    public Integer call() {
        try (Tally tally = open()) {
            JobSnapshot s = tally.snapshot(id).orElseThrow(() -> new JobNotFoundException(id));
            output().job(s);
        }
        return OK;
    }
}
