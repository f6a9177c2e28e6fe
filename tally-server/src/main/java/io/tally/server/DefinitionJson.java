package io.tally.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tally.JobSnapshot;
import io.tally.runner.Build;
import io.tally.runner.BuildStatus;
import io.tally.runner.Definition;
import io.tally.runner.Runner;
import java.util.List;

/**
 * The wire format of the runner's definitions and builds, shared by {@code GET /api/definitions} and the CLI's
 * {@code tally defs --json} / {@code tally builds --json}:
 *
 * <pre>{@code
 * {"definitions": [{"id": "parse", "title": "Parse", "tags": ["etl"], "dependsOn": ["fetch"],
 *                   "status": "OUTDATED", "outdated": true, "lastBuild": "<build id>" | null}]}
 * }</pre>
 *
 * Definitions come in dependency order (each after what it depends on).
 */
public final class DefinitionJson {
    private DefinitionJson() {}

    /** @return {@code {"definitions":[…]}} with each definition's current status, read from the store */
    public static ObjectNode definitions(Runner runner) {
        ObjectNode o = JobJson.MAPPER.createObjectNode();
        ArrayNode arr = o.putArray("definitions");
        for (Definition d : runner.definitions()) {
            arr.add(definition(runner, d));
        }
        return o;
    }

    /** @return one definition with its status, outdated flag and newest build id */
    public static ObjectNode definition(Runner runner, Definition d) {
        BuildStatus status = runner.status(d.id());
        ObjectNode o = JobJson.MAPPER.createObjectNode();
        o.put("id", d.id());
        o.put("title", d.title());
        ArrayNode tags = o.putArray("tags");
        d.tags().stream().sorted().forEach(tags::add);
        ArrayNode deps = o.putArray("dependsOn");
        d.dependencies().forEach(deps::add);
        o.put("status", status.name());
        o.put("outdated", status == BuildStatus.OUTDATED);
        List<Build> last = runner.builds(d.id(), 1);
        o.put("lastBuild", last.isEmpty() ? null : last.get(0).id());
        return o;
    }

    /** @return one build: {@code id}, {@code definition}, {@code state}, times and the error message if any */
    public static ObjectNode build(JobSnapshot s) {
        ObjectNode o = JobJson.MAPPER.createObjectNode();
        o.put("id", s.id());
        o.put("definition", s.name());
        o.put("state", s.state().name());
        o.put("createdAt", s.createdAt().toString());
        o.put("startedAt", s.startedAt().map(Object::toString).orElse(null));
        o.put("finishedAt", s.finishedAt().map(Object::toString).orElse(null));
        if (s.error().isPresent()) {
            o.set("error", JobJson.error(s.error().get()));
        }
        return o;
    }
}
