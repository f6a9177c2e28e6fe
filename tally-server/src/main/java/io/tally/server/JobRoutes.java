package io.tally.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.tally.Job;
import io.tally.JobNotFoundException;
import io.tally.JobQuery;
import io.tally.JobSnapshot;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.Page;
import io.tally.Tally;
import io.tally.store.ProgressUpdate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The job resource: {@code /api/jobs} (create, list) and {@code /api/jobs/{id}} (read, delete, and the lifecycle
 * posts {@code start}, {@code finish}, {@code fail}, {@code cancel}, {@code heartbeat}, {@code progress}).
 */
final class JobRoutes implements RouteGroup {
    /** The fields {@code POST /api/jobs} accepts; any other is a 400, so a typo is not silently ignored. */
    private static final String[] SPEC_FIELDS = {
        "id",
        "name",
        "scope",
        "parent",
        "total",
        "metadata",
        "start",
        "parts",
        "timeout",
        "heartbeat",
        "retainFor",
        "message",
        "toleratedFailures"
    };

    private final Tally tally;
    private final long maxBodyBytes;
    private final StorageLimits limits;

    /** @param limits what one request may make the store hold */
    JobRoutes(Tally tally, long maxBodyBytes, StorageLimits limits) {
        this.tally = tally;
        this.maxBodyBytes = maxBodyBytes;
        this.limits = limits;
    }

    @Override
    public void register(Javalin app) {
        app.post("/api/jobs", this::createJob);
        app.get("/api/jobs", this::listJobs);
        app.get("/api/jobs/{id}", ctx -> {
            Input.onlyParams(ctx);
            JsonResponses.send(ctx, 200, JobJson.job(PathJob.snapshot(tally, ctx), true));
        });
        app.delete("/api/jobs/{id}", ctx -> {
            Input.onlyParams(ctx);
            if (!tally.delete(ctx.pathParam("id"))) {
                throw new JobNotFoundException(ctx.pathParam("id"));
            }
            ctx.status(204);
        });
        app.post("/api/jobs/{id}/progress", this::progress);
        app.post("/api/jobs/{id}/start", ctx -> {
            Input.onlyParams(ctx);
            Input.object(ctx, maxBodyBytes, false);
            JsonResponses.send(ctx, 200, JobJson.job(job(ctx).start(), false));
        });
        app.post("/api/jobs/{id}/finish", ctx -> {
            Input.onlyParams(ctx);
            ObjectNode body = Input.object(ctx, maxBodyBytes, false, "result");
            JsonNode result = body.get("result");
            Job job = job(ctx);
            JsonResponses.send(
                    ctx,
                    200,
                    JobJson.job(result == null || result.isNull() ? job.finish() : job.finish(result), false));
        });
        app.post("/api/jobs/{id}/fail", ctx -> {
            Input.onlyParams(ctx);
            ObjectNode body = Input.object(ctx, maxBodyBytes, false, "error");
            String error = Input.text(body, "error");
            JsonResponses.send(ctx, 200, JobJson.job(job(ctx).fail(error == null ? "failed" : error), false));
        });
        app.post("/api/jobs/{id}/cancel", ctx -> {
            Input.onlyParams(ctx);
            ObjectNode body = Input.object(ctx, maxBodyBytes, false, "reason");
            JsonResponses.send(ctx, 200, JobJson.job(job(ctx).cancel(Input.text(body, "reason")), false));
        });
        app.post("/api/jobs/{id}/heartbeat", ctx -> {
            Input.onlyParams(ctx);
            Input.object(ctx, maxBodyBytes, false);
            JsonResponses.send(ctx, 200, JobJson.job(job(ctx).heartbeat(), false));
        });
    }

    private Job job(Context ctx) {
        return PathJob.handle(tally, ctx);
    }

    /** 201 with the job and its {@code Location}. */
    private void createJob(Context ctx) {
        Input.onlyParams(ctx);
        ObjectNode b = Input.object(ctx, maxBodyBytes, true, SPEC_FIELDS);
        JobSpec.Builder spec = JobSpec.builder();
        String name = Input.text(b, "name");
        if (name == null) {
            throw ApiException.invalid("name: is required");
        }
        spec.name(name);
        Optional.ofNullable(Input.text(b, "id")).ifPresent(spec::id);
        Optional.ofNullable(Input.text(b, "scope")).ifPresent(spec::scope);
        Optional.ofNullable(Input.text(b, "parent")).ifPresent(spec::parent);
        Optional.ofNullable(Input.text(b, "message")).ifPresent(spec::message);
        spec.total(Input.integer(b, "total", 0));
        spec.start(Input.bool(b, "start", false));
        spec.toleratedFailures(Input.smallInt(b, "toleratedFailures", 0));
        JsonNode metadata = b.get("metadata");
        if (metadata != null && !metadata.isNull()) {
            if (!metadata.isObject()) {
                throw ApiException.invalid("metadata: must be a JSON object");
            }
            String json = metadata.toString();
            int bytes = json.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (bytes > limits.maxMetadataBytes()) {
                throw ApiException.invalid("metadata: at most " + limits.maxMetadataBytes()
                        + " bytes of JSON on this server (--max-metadata-bytes), was " + bytes);
            }
            spec.metadataJson(json);
        }
        JsonNode parts = b.get("parts");
        if (parts != null && !parts.isNull()) {
            if (!parts.isArray()) {
                throw ApiException.invalid("parts: must be an array of JSON objects");
            }
            if (parts.size() > limits.maxParts()) {
                throw ApiException.invalid("parts: at most " + limits.maxParts()
                        + " parts per job on this server (--max-parts), was " + parts.size());
            }
            List<Object> list = new ArrayList<>(parts.size());
            for (int i = 0; i < parts.size(); i++) {
                if (!parts.get(i).isObject()) {
                    throw ApiException.invalid("parts: part " + i + " must be a JSON object");
                }
                list.add(parts.get(i));
            }
            spec.parts(list);
        }
        Optional.ofNullable(Input.duration(b, "timeout")).ifPresent(spec::timeout);
        Optional.ofNullable(Input.duration(b, "heartbeat")).ifPresent(spec::heartbeat);
        Optional.ofNullable(Input.duration(b, "retainFor")).ifPresent(spec::retainFor);
        Job job = tally.create(spec.build());
        ctx.header("Location", "/api/jobs/" + job.id());
        JsonResponses.send(ctx, 201, JobJson.job(job.snapshot(), false));
    }

    /** A page of jobs, newest first; {@code next} is the cursor of the following page, or null. */
    private void listJobs(Context ctx) {
        Input.onlyParams(ctx, "state", "scope", "name", "parent", "limit", "cursor");
        JobQuery.Builder q = JobQuery.builder();
        String state = ctx.queryParam("state");
        if (state != null && !state.isEmpty()) {
            q.state(state(state));
        }
        q.scope(Input.blankToNull(ctx.queryParam("scope")));
        q.name(Input.blankToNull(ctx.queryParam("name")));
        q.parent(Input.blankToNull(ctx.queryParam("parent")));
        q.limit(Input.intParam(ctx, "limit", JobQuery.DEFAULT_LIMIT, 1, JobQuery.MAX_LIMIT));
        q.cursor(Input.blankToNull(ctx.queryParam("cursor")));
        Page<JobSnapshot> page = tally.query(q.build());
        ObjectNode o = JobJson.MAPPER.createObjectNode();
        ArrayNode jobs = o.putArray("jobs");
        page.items().forEach(s -> jobs.add(JobJson.job(s, false)));
        o.put("next", page.next().orElse(null));
        JsonResponses.send(ctx, 200, o);
    }

    static JobState state(String s) {
        try {
            return JobState.valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("state: must be one of PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED, SKIPPED");
        }
    }

    /** Records counts and keyed items in one update; answers with the job as it is after it. */
    private void progress(Context ctx) {
        Input.onlyParams(ctx);
        ObjectNode b = Input.object(ctx, maxBodyBytes, true, ProgressInput.FIELDS);
        ProgressUpdate update = ProgressInput.read(b, limits.maxItemsPerRequest(), 0);
        JsonResponses.send(ctx, 200, JobJson.job(job(ctx).recordAndSnapshot(update), false));
    }
}
