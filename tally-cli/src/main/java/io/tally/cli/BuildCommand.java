package io.tally.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tally.JobState;
import io.tally.Tally;
import io.tally.runner.Build;
import io.tally.runner.BuildOptions;
import io.tally.runner.Runner;
import io.tally.server.JobJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tally build DEF}. */
@Command(
        name = "build",
        description = "Build a definition and wait for it: prints the build id at once, then its final state "
                + "(JSON: two lines, {\"id\",\"definition\"} then the finished build). "
                + "Exit 0 if it SUCCEEDED, 1 otherwise.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:SUCCEEDED",
            "1:FAILED, SKIPPED or CANCELLED",
            "2:usage error or invalid input",
            "3:no such definition",
            "4:store unavailable"
        })
final class BuildCommand extends TallyCommand {
    /** --definitions (required) and --classpath, with the descriptions declared in the mixin. */
    @Mixin
    DefinitionsOption definitionsOption;

    @Parameters(paramLabel = "DEF", description = "the definition id")
    String definition;

    @Option(names = "--deps", description = "build missing, failed or outdated dependencies first")
    boolean deps;

    @Option(names = "--dependents", description = "after a success, rebuild every definition downstream")
    boolean dependents;

    @Override
    public Integer call() {
        try (Tally tally = open();
                Runner runner = definitionsOption.runner(console, tally)) {
            DefinitionsOption.requireDefinition(runner, definition);
            Build b = runner.build(
                    definition, BuildOptions.defaults().buildDependencies(deps).buildDependents(dependents));
            // The id first, flushed, in either format: a script (or a pipe, where the output is JSON) can follow the
            // build with tally watch or tally logs while this command waits for it.
            if (json()) {
                ObjectNode started = JobJson.MAPPER.createObjectNode();
                started.put("id", b.id());
                started.put("definition", definition);
                print(started);
            } else {
                println(b.id());
            }
            console.out().flush();
            b.await();
            output().finishedBuild(definition, b);
            JobState state = b.state();
            return state == JobState.SUCCEEDED ? TallyCli.OK : TallyCli.JOB_FAILED;
        }
    }
}
