package io.tally.cli;

import static io.tally.cli.TallyCli.OK;

import io.tally.Tally;
import io.tally.server.JobJson;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tally pending ID}. */
@Command(name = "pending", description = "Print the pending part numbers, one per line.")
final class PendingCommand extends TallyCommand {
    @Parameters(paramLabel = "ID", description = "the job id")
    String id;

    @Option(names = "--array", description = "print one JSON array instead")
    boolean array;

    @Override
    public Integer call() {
        try (Tally tally = openForReading()) {
            if (array) {
                print(JobJson.MAPPER.valueToTree(tally.pendingParts(id).collect(Collectors.toList())));
            } else {
                tally.pendingParts(id).forEach(n -> console.out().println(n));
            }
        }
        return OK;
    }
}
