package io.tally.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tally.JobSnapshot;
import io.tally.JobState;
import io.tally.Tally;
import io.tally.runner.Build;
import io.tally.runner.BuildOptions;
import io.tally.runner.Runner;
import io.tally.server.DefinitionJson;
import io.tally.server.JobJson;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tally build DEF}. */
@Command(
        name = "build",
        description = "Build a definition and wait for it: prints the build id, then its final state. "
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
            if (!json()) {
                println(b.id());
                console.out().flush();
            }
            b.await();
            JobState state = b.state();
            Optional<JobSnapshot> snap = b.snapshot();
            if (json()) {
                ObjectNode o = snap.map(DefinitionJson::build).orElseGet(() -> {
                    ObjectNode n = JobJson.MAPPER.createObjectNode();
                    n.put("id", b.id());
                    n.put("definition", definition);
                    n.put("state", state.name());
                    return n;
                });
                o.put("state", state.name());
                snap.flatMap(JobSnapshot::resultJson).ifPresent(r -> {
                    try {
                        o.set("result", JobJson.MAPPER.readTree(r));
                    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                        o.put("result", r);
                    }
                });
                print(o);
            } else {
                println(definition + ": " + state
                        + b.error()
                                .map(e -> " - " + Text.clip(e.message(), 300))
                                .orElse(""));
            }
            return state == JobState.SUCCEEDED ? TallyCli.OK : TallyCli.JOB_FAILED;
        }
    }
}
