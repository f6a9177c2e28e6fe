package io.tally.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.tally.runner.Build;
import io.tally.runner.BuildOptions;
import io.tally.runner.Runner;

/**
 * {@code GET /api/definitions} and {@code POST /api/definitions/{id}/builds}: the runner's job definitions and
 * starting their builds. Without a runner both answer 404.
 */
final class DefinitionRoutes implements RouteGroup {
    private final Runner runner;
    private final long maxBodyBytes;

    /** @param runner the server's runner, or null when it has none */
    DefinitionRoutes(Runner runner, long maxBodyBytes) {
        this.runner = runner;
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public void register(Javalin app) {
        app.get("/api/definitions", ctx -> {
            Input.onlyParams(ctx);
            JsonResponses.send(ctx, 200, DefinitionJson.definitions(runner()));
        });
        app.post("/api/definitions/{id}/builds", this::startBuild);
    }

    private Runner runner() {
        if (runner == null) {
            throw new ApiException(
                    404,
                    "not_found",
                    "this server has no job definitions (start it with a Runner: tally serve --definitions FILE)");
        }
        return runner;
    }

    /** 202 with the build's id and a {@code Location} of its job: the build runs on, followed as a job. */
    private void startBuild(Context ctx) {
        Input.onlyParams(ctx);
        Runner r = runner();
        ObjectNode body = Input.object(ctx, maxBodyBytes, false, "buildDependencies", "buildDependents");
        BuildOptions options = BuildOptions.defaults()
                .buildDependencies(Input.bool(body, "buildDependencies", false))
                .buildDependents(Input.bool(body, "buildDependents", false));
        String id = ctx.pathParam("id");
        if (r.definition(id).isEmpty()) {
            throw new ApiException(404, "not_found", "no such definition: " + Input.clip(id));
        }
        Build b = r.build(id, options);
        ObjectNode o = JobJson.MAPPER.createObjectNode();
        o.put("id", b.id());
        o.put("definition", id);
        o.put("buildDependencies", options.buildDependencies());
        o.put("buildDependents", options.buildDependents());
        ctx.header("Location", "/api/jobs/" + b.id());
        JsonResponses.send(ctx, 202, o);
    }
}
