package io.tally.cli;

import static io.tally.cli.TallyCli.OK;

import io.tally.PartCompletion;
import io.tally.Tally;
import io.tally.server.JobJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code tally complete ID PART}. */
@Command(
        name = "complete",
        description = "Mark a part done; prints {\"first\":…,\"remaining\":…,\"last\":…}. "
                + "Exactly one call per job ever prints \"last\":true: run the reduce on it.")
final class CompleteCommand extends TallyCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "the job id")
    String id;

    @Parameters(index = "1", paramLabel = "PART", description = "the part number, 0 to parts-1")
    int part;

    @Override
    public Integer call() {
        try (Tally tally = open()) {
            PartCompletion c = tally.completePart(id, part);
            print(JobJson.completion(c));
        }
        return OK;
    }
}
