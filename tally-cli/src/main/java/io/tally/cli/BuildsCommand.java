package io.tally.cli;

import io.tally.InvalidInputException;
import io.tally.JobQuery;
import io.tally.JobSnapshot;
import io.tally.Page;
import io.tally.Tally;
import io.tally.runner.Build;
import io.tally.runner.Runner;
import io.tally.server.JobJson;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tally builds DEF}. */
@Command(
        name = "builds",
        description = "List the builds of a definition, newest first. Without a definitions file the store's jobs "
                + "named DEF that are builds are listed (exit 3 when there are none).")
final class BuildsCommand extends TallyCommand {
    @Parameters(paramLabel = "DEF", description = "the definition id")
    String definition;

    /** --definitions and --classpath; their help here comes from help.properties (tally.builds.*). */
    @Mixin
    DefinitionsOption definitionsOption;

    @Option(
            names = "--limit",
            defaultValue = "20",
            description = "most builds shown, 1–1000 (default ${DEFAULT-VALUE})")
    int limit;

    @Override
    public Integer call() {
        if (limit < 1 || limit > 1000) {
            throw new InvalidInputException("--limit", "must be 1–1000, was " + limit);
        }
        Path file = definitionsOption.file(console, false);
        try (Tally tally = openForReading()) {
            List<JobSnapshot> builds = new ArrayList<>();
            if (file != null) {
                definitionsOption.useClasspath(console);
                try (Runner runner = Runner.builder(tally).definitions(file).build()) {
                    DefinitionsOption.requireDefinition(runner, definition);
                    for (Build b : runner.builds(definition, limit)) {
                        b.snapshot().ifPresent(builds::add);
                    }
                }
            } else {
                builds = query(tally);
                if (builds.isEmpty()) {
                    throw new NotFoundException("no builds of definition " + definition + " in the store");
                }
            }
            output().builds(builds);
        }
        return TallyCli.OK;
    }

    /** The jobs named after the definition whose metadata marks them as builds, newest first. */
    private List<JobSnapshot> query(Tally tally) {
        List<JobSnapshot> out = new ArrayList<>();
        JobQuery q = JobQuery.builder().name(definition).limit(100).build();
        for (int pages = 0; pages < 100 && out.size() < limit; pages++) {
            Page<JobSnapshot> page = tally.query(q);
            for (JobSnapshot s : page.items()) {
                if (out.size() < limit && isBuild(s)) {
                    out.add(s);
                }
            }
            if (page.next().isEmpty()) {
                break;
            }
            q = q.toBuilder().cursor(page.next().get()).build();
        }
        return out;
    }

    private static boolean isBuild(JobSnapshot s) {
        try {
            return "build"
                    .equals(JobJson.MAPPER
                            .readTree(s.metadataJson())
                            .path("runner")
                            .asText());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return false;
        }
    }
}
