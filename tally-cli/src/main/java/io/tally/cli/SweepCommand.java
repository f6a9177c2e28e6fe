package io.tally.cli;

import static io.tally.cli.TallyCli.OK;

import io.tally.SweepResult;
import io.tally.Tally;
import io.tally.server.JobJson;
import picocli.CommandLine.Command;

/** {@code tally sweep}. */
@Command(name = "sweep", description = "Fail stalled and timed-out jobs and delete expired ones, once.")
final class SweepCommand extends TallyCommand {
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
