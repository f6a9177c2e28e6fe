package io.tally.redis;

import com.fasterxml.jackson.databind.JsonNode;
import io.tally.internal.Json;
import io.tally.store.LogEntry;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A log entry as an element of the list {@code {ns}:logs:ID}: the JSON object {@code {"at": epoch millis, "level",
 * "logger", "message"}}. Its sequence number is not stored: it is the element's position + 1, which the list keeps
 * without a counter.
 */
final class LogJson {
    private LogJson() {}

    /** @return the stored form of an entry (its seq is not kept, see the class comment) */
    static String encode(LogEntry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("at", e.at().toEpochMilli());
        m.put("level", e.level());
        m.put("logger", e.logger());
        m.put("message", e.message());
        return Json.write(m, "log");
    }

    /** @return the entry stored as {@code json} at position {@code seq - 1} */
    static LogEntry decode(long seq, String json) {
        JsonNode n = Json.tree(json);
        return new LogEntry(
                seq,
                Instant.ofEpochMilli(n.get("at").asLong()),
                text(n, "level"),
                text(n, "logger"),
                text(n, "message"));
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
