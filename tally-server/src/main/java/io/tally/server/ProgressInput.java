package io.tally.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.tally.Outcome;
import io.tally.store.ItemUpdate;
import io.tally.store.ProgressUpdate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A progress body — {@code succeeded}, {@code failed}, {@code items}, {@code addTotal}, {@code message} — read into a
 * {@link ProgressUpdate}: the one reading of it, for {@code POST /api/jobs/{id}/progress} and for each entry of
 * {@code POST /api/progress}.
 */
final class ProgressInput {
    /** The fields of a progress body. */
    static final String[] FIELDS = {"succeeded", "failed", "items", "addTotal", "message"};

    private ProgressInput() {}

    /**
     * @param maxItems the keyed items one request may carry (--max-items)
     * @param itemsBefore those the request's entries before this one carried
     * @throws ApiException (400) naming the field that is wrong
     */
    static ProgressUpdate read(JsonNode b, int maxItems, int itemsBefore) {
        long ok = Input.integer(b, "succeeded", 0);
        long failed = Input.integer(b, "failed", 0);
        long addTotal = Input.integer(b, "addTotal", 0);
        String message = Input.text(b, "message");
        return new ProgressUpdate(ok, failed, items(b.get("items"), maxItems, itemsBefore), addTotal, message);
    }

    /** @return the {@code items} of a progress body: objects {@code {key, outcome, reason}}, within the limit */
    private static List<ItemUpdate> items(JsonNode arr, int maxItems, int itemsBefore) {
        List<ItemUpdate> items = new ArrayList<>();
        if (arr == null || arr.isNull()) {
            return items;
        }
        if (!arr.isArray()) {
            throw ApiException.invalid("items: must be an array");
        }
        if (itemsBefore + arr.size() > maxItems) {
            throw ApiException.invalid("items: at most " + maxItems + " per request on this server (--max-items), was "
                    + (itemsBefore + arr.size()));
        }
        for (JsonNode it : arr) {
            if (!it.isObject()) {
                throw ApiException.invalid("items: each item must be an object {key, outcome, reason}");
            }
            for (Iterator<String> f = it.fieldNames(); f.hasNext(); ) {
                String name = f.next();
                if (!name.equals("key") && !name.equals("outcome") && !name.equals("reason")) {
                    throw ApiException.invalid("items: unknown field '" + Input.clip(name) + "'");
                }
            }
            String key = Input.text(it, "key");
            if (key == null) {
                throw ApiException.invalid("items: key is required");
            }
            String outcome = Input.text(it, "outcome");
            Outcome oc;
            if (outcome == null || outcome.equalsIgnoreCase("SUCCESS")) {
                oc = Outcome.SUCCESS;
            } else if (outcome.equalsIgnoreCase("FAILURE")) {
                oc = Outcome.FAILURE;
            } else {
                throw ApiException.invalid("items: outcome must be SUCCESS or FAILURE");
            }
            items.add(new ItemUpdate(key, oc, Input.text(it, "reason")));
        }
        return items;
    }
}
