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
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * {@code GET /api/events}: server-sent events from the {@link EventHub}, for one job, a scope, a parent's children or
 * everything; a resume by {@code Last-Event-ID} replays from the hub's buffer, else the stream opens with a snapshot.
 */
final class EventRoutes implements RouteGroup {
    private final Tally tally;
    private final EventHub hub;
    private final Duration heartbeat;
    private final int maxStreams;
    private final BooleanSupplier serverStopped;

    EventRoutes(Tally tally, EventHub hub, Duration heartbeat, int maxStreams, BooleanSupplier serverStopped) {
        this.tally = tally;
        this.hub = hub;
        this.heartbeat = heartbeat;
        this.maxStreams = maxStreams;
        this.serverStopped = serverStopped;
    }

    @Override
    public void register(Javalin app) {
        app.get("/api/events", this::events);
    }

    /**
     * Streams events. The handler holds its request thread for the life of the stream: simple, and a dashboard has few
     * viewers. It registers with the hub before reading the snapshot, so nothing falls between the two.
     */
    private void events(Context ctx) throws IOException {
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
        if (hub.clientCount() >= maxStreams) {
            // Each stream holds a request thread; past the cap, refuse rather than starve the API.
            throw new ApiException(503, "unavailable", "too many event streams (" + maxStreams + ")");
        }
        EventHub.Registration reg = hub.register(EventHub.filter(job, scope, parent), lastEventId(ctx));
        try {
            ctx.status(200);
            ctx.res().setContentType("text/event-stream; charset=utf-8");
            ctx.res().setHeader("Cache-Control", "no-store");
            ctx.res().setHeader("X-Accel-Buffering", "no");
            OutputStream out = ctx.res().getOutputStream();
            write(out, "retry: 2000\n\n");
            if (reg.replay().isPresent()) {
                for (EventHub.Emitted e : reg.replay().get()) {
                    send(out, e);
                }
            } else {
                ObjectNode snap = snapshotEvent(job, scope, parent);
                write(out, "id: " + reg.snapshotId() + "\nevent: snapshot\ndata: " + snap + "\n\n");
            }
            out.flush();
            long beat = heartbeat.toMillis();
            while (!serverStopped.getAsBoolean()) {
                EventHub.Emitted e = reg.client().poll(beat);
                if (e == null) {
                    write(out, ": heartbeat\n\n");
                } else if (EventHub.isClose(e)) {
                    break;
                } else {
                    send(out, e);
                }
                out.flush();
            }
        } catch (IOException | UncheckedIOException e) {
            // The client went away: the normal end of a stream.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            hub.unregister(reg.client());
        }
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

    private void send(OutputStream out, EventHub.Emitted e) throws IOException {
        write(out, "id: " + hub.eventId(e.id()) + "\nevent: " + e.type() + "\ndata: " + e.data() + "\n\n");
    }

    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
    }
}
