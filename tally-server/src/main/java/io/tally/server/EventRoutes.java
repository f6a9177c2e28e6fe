package io.tally.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.tally.EventFilter;
import io.tally.JobNotFoundException;
import io.tally.JobQuery;
import io.tally.JobSnapshot;
import io.tally.Page;
import io.tally.Tally;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET /api/events}: server-sent events from the {@link EventHub}, for one job, a scope, a parent's children or
 * everything; a resume by {@code Last-Event-ID} replays from the hub's buffer, else the stream opens with a snapshot.
 */
final class EventRoutes implements RouteGroup {
    private final Tally tally;
    private final EventHub hub;
    private final int maxStreams;

    EventRoutes(Tally tally, EventHub hub, int maxStreams) {
        this.tally = tally;
        this.hub = hub;
        this.maxStreams = maxStreams;
    }

    @Override
    public void register(Javalin app) {
        app.get("/api/events", this::events);
    }

    /**
     * Opens a stream. The checks and the first read (snapshot or replay) happen on the request's thread; then the
     * request turns asynchronous and the {@link SseStream} writes without holding any thread. The client is
     * registered with the hub before the snapshot is read, so nothing falls between the two.
     */
    private void events(Context ctx) {
        Input.onlyParams(ctx, "job", "scope", "parent", "lastEventId");
        String job = Input.nonBlankParam(ctx, "job");
        String scope = Input.nonBlankParam(ctx, "scope");
        String parent = Input.nonBlankParam(ctx, "parent");
        if ((job != null ? 1 : 0) + (scope != null ? 1 : 0) + (parent != null ? 1 : 0) > 1) {
            throw ApiException.invalid("give at most one of job, scope and parent");
        }
        if (job != null) {
            tally.snapshot(job).orElseThrow(() -> new JobNotFoundException(job));
        }
        if (parent != null) {
            EventFilter.parent(parent); // validates the id
            tally.snapshot(parent).orElseThrow(() -> new JobNotFoundException(parent));
        }
        EventHub.Client[] registered = new EventHub.Client[1];
        SseStream stream = new SseStream(() -> hub.unregister(registered[0]));
        EventHub.Registration reg =
                hub.register(EventHub.filter(job, scope, parent), lastEventId(ctx), stream, maxStreams);
        registered[0] = reg.client();
        byte[] head;
        try {
            head = head(reg, job, scope, parent);
        } catch (RuntimeException e) {
            hub.unregister(reg.client());
            throw e;
        }
        ctx.status(200);
        ctx.res().setContentType("text/event-stream; charset=utf-8");
        ctx.res().setHeader("Cache-Control", "no-store");
        ctx.res().setHeader("X-Accel-Buffering", "no");
        ctx.future(() -> {
            try {
                stream.attach(ctx.res().getOutputStream(), head);
            } catch (IOException | RuntimeException e) {
                stream.finish();
            }
            return stream.ended();
        });
    }

    /** @return the first bytes of a stream: the retry advice, then the missed events or a snapshot */
    private byte[] head(EventHub.Registration reg, String job, String scope, String parent) {
        StringBuilder head = new StringBuilder("retry: 2000\n\n");
        if (reg.replay().isEmpty()) {
            head.append("id: ")
                    .append(reg.snapshotId())
                    .append("\nevent: snapshot\ndata: ")
                    .append(snapshotEvent(job, scope, parent))
                    .append("\n\n");
            return head.toString().getBytes(StandardCharsets.UTF_8);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head.toString().getBytes(StandardCharsets.UTF_8));
        reg.replay().get().forEach(e -> out.writeBytes(e.frame()));
        return out.toByteArray();
    }

    /** @return the header, or the query parameter for clients that cannot set headers; null if neither */
    private static String lastEventId(Context ctx) {
        String v = ctx.header("Last-Event-ID");
        return v == null ? ctx.queryParam("lastEventId") : v.trim();
    }

    private ObjectNode snapshotEvent(String job, String scope, String parent) {
        ObjectNode o = JobJson.MAPPER.createObjectNode();
        o.put("type", "SNAPSHOT");
        if (job != null) {
            o.set(
                    "job",
                    tally.snapshot(job)
                            .map(s -> (JsonNode) JobJson.job(s, true))
                            .orElse(null));
            return o;
        }
        Page<JobSnapshot> page = tally.query(
                JobQuery.builder().scope(scope).parent(parent).limit(100).build());
        ArrayNode jobs = o.putArray("jobs");
        page.items().forEach(s -> jobs.add(JobJson.job(s, false)));
        o.set("stats", JobJson.stats(tally.stats()));
        return o;
    }
}
