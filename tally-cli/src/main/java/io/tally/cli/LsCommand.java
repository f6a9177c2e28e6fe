package io.tally.cli;

import static io.tally.cli.TallyCli.OK;

import io.tally.InvalidInputException;
import io.tally.JobQuery;
import io.tally.JobSnapshot;
import io.tally.JobState;
import io.tally.Page;
import io.tally.Tally;
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
            output().jobs(page);
        }
        return OK;
    }
}
