package io.tally.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.tally.InvalidInputException;
import io.tally.Progress;
import io.tally.Tally;
import io.tally.TallyException;
import io.tally.internal.Validation;
import io.tally.store.ProgressUpdate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Many writes in one request, for workers in other languages that would otherwise pay a request per count: {@code
 * POST /api/progress} (progress for many jobs) and {@code POST /api/jobs/{id}/parts/complete} (many parts of one job).
 *
 * <p>Every entry of a request is read and checked before anything is written, so bad input refuses the whole request
 * and writes nothing. The entries of {@code /api/progress} are then written through the asynchronous calls, each its
 * own atomic step on its job (on Redis they go out together and are combined into few function calls; the SQL stores
 * apply them one after another in this request's thread), and each is answered on its own: an entry on a finished or
 * missing job gets its error in its place, the others are written. What a batch saves everywhere is the request per
 * update.
 */
final class BatchRoutes implements RouteGroup {
    /** Entries in one {@code POST /api/progress}. */
    static final int MAX_UPDATES = 1000;

    private static final String[] UPDATE_FIELDS = {"id", "succeeded", "failed", "items", "addTotal", "message"};

    private final Tally tally;
    private final long maxBodyBytes;
    private final StorageLimits limits;

    BatchRoutes(Tally tally, long maxBodyBytes, StorageLimits limits) {
        this.tally = tally;
        this.maxBodyBytes = maxBodyBytes;
        this.limits = limits;
    }

    @Override
    public void register(Javalin app) {
        app.post("/api/progress", this::progress);
        app.post("/api/jobs/{id}/parts/complete", this::completeParts);
    }

    /** {@code {"updates":[{id, succeeded, failed, items, addTotal, message}…]}} → {@code {"results":[…]}}, in order. */
    private void progress(Context ctx) {
        Input.onlyParams(ctx);
        ObjectNode body = Input.object(ctx, maxBodyBytes, true, "updates");
        JsonNode entries = body.get("updates");
        if (entries == null || !entries.isArray() || entries.isEmpty()) {
            throw ApiException.invalid(
                    "updates: must be a non-empty array of {id, succeeded, failed, items, addTotal," + " message}");
        }
        if (entries.size() > MAX_UPDATES) {
            throw ApiException.invalid("updates: at most " + MAX_UPDATES + " per request, was " + entries.size());
        }
        List<String> ids = new ArrayList<>(entries.size());
        List<ProgressUpdate> updates = new ArrayList<>(entries.size());
        int items = 0;
        for (int i = 0; i < entries.size(); i++) {
            JsonNode entry = entries.get(i);
            try {
                if (!entry.isObject()) {
                    throw ApiException.invalid("must be an object");
                }
                Input.onlyFields((ObjectNode) entry, UPDATE_FIELDS);
                String id = Input.text(entry, "id");
                if (id == null) {
                    throw ApiException.invalid("id: is required");
                }
                Validation.id("id", id);
                ProgressUpdate update = ProgressInput.read(entry, limits.maxItemsPerRequest(), items)
                        .checked();
                items += update.items().size();
                ids.add(id);
                updates.add(update);
            } catch (ApiException | InvalidInputException e) {
                throw ApiException.invalid("updates[" + i + "]: " + e.getMessage());
            }
        }
        List<CompletableFuture<Progress>> answers = new ArrayList<>(updates.size());
        for (int i = 0; i < updates.size(); i++) {
            answers.add(tally.handle(ids.get(i)).recordAsync(updates.get(i)));
        }
        ObjectNode o = JobJson.MAPPER.createObjectNode();
        ArrayNode results = o.putArray("results");
        for (int i = 0; i < answers.size(); i++) {
            results.add(result(ids.get(i), answers.get(i)));
        }
        JsonResponses.send(ctx, 200, o);
    }

    /** {@code {"id":…, "progress":{…}}}, or {@code {"id":…, "status":…, "error":{…}}} for an entry refused. */
    private static ObjectNode result(String id, CompletableFuture<Progress> answer) {
        ObjectNode r = JobJson.MAPPER.createObjectNode();
        r.put("id", id);
        Progress progress;
        try {
            progress = answer.join();
        } catch (CompletionException e) {
            if (!(e.getCause() instanceof TallyException te)) {
                throw e; // a bug, not an answer: the whole request fails with 500 and is logged
            }
            ExceptionStatuses.ErrorAnswer a = ExceptionStatuses.answerFor(te, "POST /api/progress, job " + id);
            r.put("status", a.status());
            return r.setAll(a.body());
        }
        JobJson.progress(r.putObject("progress"), progress);
        return r;
    }

    /** {@code {"parts":[n…]}}: the parts marked done in one atomic step; answers as a single part's completion. */
    private void completeParts(Context ctx) {
        Input.onlyParams(ctx);
        ObjectNode body = Input.object(ctx, maxBodyBytes, true, "parts");
        JsonNode parts = body.get("parts");
        if (parts == null || !parts.isArray() || parts.isEmpty()) {
            throw ApiException.invalid("parts: must be a non-empty array of part numbers");
        }
        if (parts.size() > limits.maxParts()) {
            throw ApiException.invalid("parts: at most " + limits.maxParts()
                    + " per request on this server (--max-parts), was " + parts.size());
        }
        int[] numbers = new int[parts.size()];
        for (int i = 0; i < numbers.length; i++) {
            JsonNode n = parts.get(i);
            if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < 0) {
                throw ApiException.invalid("parts[" + i + "]: must be a part number (0 or more)");
            }
            numbers[i] = n.intValue();
        }
        JsonResponses.send(ctx, 200, JobJson.completion(tally.completeParts(PathJob.id(ctx), numbers)));
    }
}
