package io.tally.cli;

import static io.tally.cli.TallyCli.OK;

import io.tally.InvalidInputException;
import io.tally.JobQuery;
import io.tally.JobSnapshot;
import io.tally.JobState;
import io.tally.Page;
import io.tally.Tally;
import io.tally.internal.Urls;
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

    @Option(names = "--scope", description = "only jobs of this scope, e.g. user:3421")
    String scope;

    @Option(names = "--name", description = "only jobs with this name")
    String name;

    @Option(names = "--parent", paramLabel = "ID", description = "only the children of this job")
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
            state = state.toUpperCase(Locale.ROOT);
            try {
                q.state(JobState.valueOf(state));
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException(
                        "state", "must be one of PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED, SKIPPED");
            }
        }
        try (Tally tally = openForReading()) {
            Page<JobSnapshot> page = tally.query(q.build());
            output().jobs(page, nextCommand());
        }
        return OK;
    }

    /**
     * @return the command that lists the same jobs again: the filters and page size of this one, and the store when it
     *     was given with {@code --store} (only when it holds no password, which would otherwise land on the screen)
     */
    private String nextCommand() {
        List<String> words = new ArrayList<>(List.of("tally", "ls"));
        add(words, "--state", state);
        add(words, "--scope", scope);
        add(words, "--name", name);
        add(words, "--parent", parent);
        if (limit != JobQuery.DEFAULT_LIMIT) {
            add(words, "--limit", Integer.toString(limit));
        }
        String store = storeOption.store;
        if (store != null && !store.isBlank() && Urls.mask(store).equals(store)) {
            add(words, "--store", store);
        }
        return String.join(" ", words);
    }

    private static void add(List<String> words, String option, String value) {
        if (value != null) {
            words.add(option);
            words.add(Text.shellWord(value));
        }
    }
}
