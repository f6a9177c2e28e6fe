package io.tally.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.tally.Outcome;
import io.tally.Page;
import io.tally.Tally;
import io.tally.store.LogEntry;
import io.tally.store.StoredItem;
import java.util.List;
import java.util.Locale;

/** What a job recorded, paged: {@code GET /api/jobs/{id}/items} (keyed items) and {@code GET …/logs}. */
final class ItemAndLogRoutes implements RouteGroup {
    private final Tally tally;

    ItemAndLogRoutes(Tally tally) {
        this.tally = tally;
    }

    @Override
    public void register(Javalin app) {
        app.get("/api/jobs/{id}/items", this::listItems);
        app.get("/api/jobs/{id}/logs", this::listLogs);
    }

    private void listItems(Context ctx) {
        Input.onlyParams(ctx, "outcome", "after", "limit");
        String oc = Input.blankToNull(ctx.queryParam("outcome"));
        Outcome outcome = null;
        if (oc != null) {
            try {
                outcome = Outcome.valueOf(oc.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid("outcome: must be SUCCESS or FAILURE");
            }
        }
        int limit = Input.intParam(ctx, "limit", 100, 1, 1000);
        String id = PathJob.snapshot(tally, ctx).id();
        Page<StoredItem> page = tally.get(id).items(outcome, Input.blankToNull(ctx.queryParam("after")), limit);
        ObjectNode o = JobJson.MAPPER.createObjectNode();
        ArrayNode arr = o.putArray("items");
        page.items().forEach(i -> arr.add(JobJson.item(i)));
        o.put("next", page.next().orElse(null));
        JsonResponses.send(ctx, 200, o);
    }

    /** Log records after sequence number {@code after}; {@code next} is the last one's when the page is full. */
    private void listLogs(Context ctx) {
        Input.onlyParams(ctx, "after", "limit");
        long after = Input.intParam(ctx, "after", 0, 0, Integer.MAX_VALUE);
        int limit = Input.intParam(ctx, "limit", 200, 1, 1000);
        String id = PathJob.snapshot(tally, ctx).id();
        List<LogEntry> logs = tally.get(id).logs(after, limit);
        ObjectNode o = JobJson.MAPPER.createObjectNode();
        ArrayNode arr = o.putArray("logs");
        logs.forEach(e -> arr.add(JobJson.log(e)));
        if (logs.size() == limit) {
            o.put("next", logs.get(logs.size() - 1).seq());
        } else {
            o.putNull("next");
        }
        JsonResponses.send(ctx, 200, o);
    }
}
