package io.tally.cli;

import static io.tally.cli.TallyCli.OK;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tally.JobNotFoundException;
import io.tally.Tally;
import io.tally.server.JobJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code tally delete ID}. */
@Command(
        name = "delete",
        description = "Delete a job with its items, parts and logs (whatever its state); exit 3 if there is none.")
final class DeleteCommand extends TallyCommand {
    @Parameters(paramLabel = "ID", description = "the job id")
    String id;

    @Override
    public Integer call() {
        try (Tally tally = open()) {
            if (!tally.delete(id)) {
                throw new JobNotFoundException(id);
            }
        }
        if (json()) {
            ObjectNode o = JobJson.MAPPER.createObjectNode();
            o.put("id", id);
            o.put("deleted", true);
            print(o);
        } else {
            println("deleted " + id);
        }
        return OK;
    }
}
