package io.tally.cli;

import static io.tally.cli.TallyCli.OK;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tally.InvalidInputException;
import io.tally.JobQuery;
import io.tally.JobSnapshot;
import io.tally.JobState;
import io.tally.Page;
import io.tally.Tally;
import io.tally.server.JobJson;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tally ls}. */
@Command(name = "ls", description = "List jobs, newest first.")
final class LsCommand extends TallyCommand {
    @Option(names = "--state", description = "PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED or SKIPPED")
    String state;

    @Option(names = "--scope")
    String scope;

    @Option(names = "--name")
    String name;

    @Option(names = "--parent")
    String parent;

    @Option(names = "--limit", defaultValue = "50", description = "page size, 1–1000 (default ${DEFAULT-VALUE})")
    int limit;

    @Option(names = "--cursor", description = "the 'next' cursor of a previous page")
    String cursor;

    @Override
    public Integer call() {
        JobQuery.Builder q = JobQuery.builder()
                .scope(scope)
                .name(name)
                .parent(parent)
                .limit(limit)
                .cursor(cursor);
        if (state != null) {
            try {
                q.state(JobState.valueOf(state.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException(
                        "state", "must be one of PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED, SKIPPED");
            }
        }
        try (Tally tally = open()) {
            Page<JobSnapshot> page = tally.query(q.build());
            if (json()) {
                ObjectNode o = JobJson.MAPPER.createObjectNode();
                ArrayNode jobs = o.putArray("jobs");
                page.items().forEach(s -> jobs.add(JobJson.job(s, false)));
                o.put("next", page.next().orElse(null));
                print(o);
            } else {
                List<List<String>> rows = new ArrayList<>();
                for (JobSnapshot s : page.items()) {
                    rows.add(List.of(
                            s.id(),
                            Text.clip(s.name(), 30),
                            s.state().name(),
                            Text.progress(s),
                            Text.rate(s.progress().rate()),
                            Text.eta(s.progress().eta()),
                            s.createdAt().toString()));
                }
                console.out()
                        .print(Text.table(List.of("ID", "NAME", "STATE", "PROGRESS", "RATE", "ETA", "CREATED"), rows));
                if (page.items().isEmpty()) {
                    println("(no jobs)");
                }
                page.next().ifPresent(n -> println("more: tally ls --cursor " + n));
            }
        }
        return OK;
    }
}
