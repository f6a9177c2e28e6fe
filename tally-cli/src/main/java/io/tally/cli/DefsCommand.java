package io.tally.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tally.Tally;
import io.tally.runner.Runner;
import io.tally.server.DefinitionJson;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code tally defs}. */
@Command(
        name = "defs",
        description = "List the job definitions, in dependency order, with their status "
                + "(NOT_BUILT, BUILDING, SUCCEEDED, FAILED, OUTDATED).")
final class DefsCommand extends TallyCommand {
    /** --definitions (required) and --classpath, with the descriptions declared in the mixin. */
    @Mixin
    DefinitionsOption definitionsOption;

    @Override
    public Integer call() {
        try (Tally tally = open();
                Runner runner = definitionsOption.runner(console, tally)) {
            ObjectNode o = DefinitionJson.definitions(runner);
            if (json()) {
                print(o);
                return TallyCli.OK;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode d : o.get("definitions")) {
                rows.add(List.of(
                        d.get("id").asText(),
                        Text.clip(d.get("title").asText(), 30),
                        d.get("status").asText(),
                        d.get("outdated").asBoolean() ? "yes" : "no",
                        Text.clip(join(d.get("dependsOn")), 40),
                        Text.clip(join(d.get("tags")), 30),
                        d.get("lastBuild").isNull() ? "–" : d.get("lastBuild").asText()));
            }
            output().table(
                            List.of("ID", "TITLE", "STATUS", "OUTDATED", "DEPENDS ON", "TAGS", "LAST BUILD"),
                            rows,
                            "(no definitions)");
        }
        return TallyCli.OK;
    }

    private static String join(JsonNode arr) {
        List<String> out = new ArrayList<>();
        arr.forEach(n -> out.add(n.asText()));
        return out.isEmpty() ? "–" : String.join(", ", out);
    }
}
