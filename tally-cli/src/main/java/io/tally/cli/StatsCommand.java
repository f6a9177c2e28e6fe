package io.tally.cli;

import static io.tally.cli.TallyCli.OK;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tally.JobState;
import io.tally.Tally;
import io.tally.server.JobJson;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code tally stats}. */
@Command(
        name = "stats",
        description = "Count the jobs in each state (JSON as GET /api/stats: {\"states\":{…},\"total\":n}).")
final class StatsCommand extends TallyCommand {
    @Override
    public Integer call() {
        ObjectNode o;
        try (Tally tally = openForReading()) {
            o = JobJson.stats(tally.stats());
        }
        if (json()) {
            print(o);
            return OK;
        }
        List<List<String>> rows = new ArrayList<>();
        JsonNode states = o.get("states");
        for (JobState s : JobState.values()) {
            rows.add(List.of(s.name(), states.get(s.name()).asText()));
        }
        rows.add(List.of("total", o.get("total").asText()));
        output().table(List.of("STATE", "JOBS"), rows, "");
        return OK;
    }
}
