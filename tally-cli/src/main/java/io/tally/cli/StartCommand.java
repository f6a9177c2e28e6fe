package io.tally.cli;

import static io.tally.cli.TallyCli.OK;

import io.tally.Job;
import io.tally.JobSnapshot;
import io.tally.Tally;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tally start ID}. */
@Command(
        name = "start",
        description = "Move a PENDING job to RUNNING (a no-op if it runs already) and print it. With --claim, of "
                + "any number of workers starting one job at once exactly one succeeds; the others exit 1.")
final class StartCommand extends TallyCommand {
    @Parameters(paramLabel = "ID", description = "the job id")
    String id;

    @Option(
            names = "--claim",
            description = "start it only if it is PENDING; exit 1 if another caller started it first")
    boolean claim;

    @Override
    public Integer call() {
        try (Tally tally = open()) {
            Job job = tally.get(id);
            JobSnapshot s = claim
                    ? job.claim()
                            .orElseThrow(() -> new RefusedException("job " + id + " was started by another caller"))
                    : job.start();
            output().state(s);
        }
        return OK;
    }
}
