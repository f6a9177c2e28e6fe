package io.tally.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.tally.Tally;
import io.tally.store.PartStatus;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A job's parts: {@code POST /api/jobs/{id}/parts/{n}/complete}, {@code …/fail} and {@code GET
 * /api/jobs/{id}/parts} (part numbers by state, paged).
 */
final class PartRoutes implements RouteGroup {
    private final Tally tally;
    private final long maxBodyBytes;

    PartRoutes(Tally tally, long maxBodyBytes) {
        this.tally = tally;
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public void register(Javalin app) {
        app.post("/api/jobs/{id}/parts/{n}/complete", ctx -> {
            Input.onlyParams(ctx);
            Input.object(ctx, maxBodyBytes, false);
            int part = Input.partParam(ctx);
            JsonResponses.send(ctx, 200, JobJson.completion(tally.completePart(PathJob.id(ctx), part)));
        });
        app.post("/api/jobs/{id}/parts/{n}/fail", ctx -> {
            Input.onlyParams(ctx);
            ObjectNode body = Input.object(ctx, maxBodyBytes, false, "reason", "failJob");
            int part = Input.partParam(ctx);
            JsonResponses.send(
                    ctx,
                    200,
                    JobJson.completion(tally.failPart(
                            PathJob.id(ctx), part, Input.text(body, "reason"), Input.bool(body, "failJob", false))));
        });
        app.get("/api/jobs/{id}/parts", this::listParts);
    }

    /** Part numbers in one state (default pending), ascending; {@code next} is the last one when the page is full. */
    private void listParts(Context ctx) {
        Input.onlyParams(ctx, "state", "after", "limit");
        String st = Optional.ofNullable(ctx.queryParam("state")).orElse("pending");
        PartStatus status;
        try {
            status = PartStatus.valueOf(st.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("state: must be pending, succeeded or failed");
        }
        int after = Input.intParam(ctx, "after", -1, -1, Integer.MAX_VALUE);
        int limit = Input.intParam(ctx, "limit", 1000, 1, 10_000);
        String id = PathJob.snapshot(tally, ctx).id();
        List<Integer> parts = tally.parts(id, status, after, limit);
        ObjectNode o = JobJson.MAPPER.createObjectNode();
        o.put("state", status.name());
        ArrayNode arr = o.putArray("parts");
        parts.forEach(arr::add);
        if (parts.size() == limit) {
            o.put("next", parts.get(parts.size() - 1));
        } else {
            o.putNull("next");
        }
        JsonResponses.send(ctx, 200, o);
    }
}
