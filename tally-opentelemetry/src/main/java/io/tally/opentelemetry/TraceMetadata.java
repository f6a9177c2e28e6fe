package io.tally.opentelemetry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads and writes the W3C trace context kept in a job's metadata: the top-level keys {@value #TRACEPARENT} and
 * {@value #TRACESTATE}, with the header values as strings.
 *
 * <p>Why the metadata: it is the one field every store keeps as given and every process can read (the server's API,
 * the CLI, the Python and JavaScript clients), so a worker in another process or language finds the trace there with
 * no change to the store SPI or schemas. Why the W3C header names as keys: a client that has no OpenTelemetry module
 * can join a trace by putting its own {@code traceparent} there, and a reader recognises the values.
 */
final class TraceMetadata {
    static final String TRACEPARENT = "traceparent";
    static final String TRACESTATE = "tracestate";

    private static final ObjectMapper JSON = new ObjectMapper();

    private TraceMetadata() {}

    /**
     * @param metadataJson a job's metadata, a JSON object
     * @return its string-valued trace keys; empty when it has none (or cannot be read: tracing never fails a job)
     */
    static Map<String, String> read(String metadataJson) {
        if (metadataJson == null || !metadataJson.contains('"' + TRACEPARENT + '"')) {
            return Map.of(); // most jobs: no parse
        }
        try {
            JsonNode m = JSON.readTree(metadataJson);
            Map<String, String> carrier = new LinkedHashMap<>();
            for (String key : new String[] {TRACEPARENT, TRACESTATE}) {
                JsonNode v = m == null ? null : m.get(key);
                if (v != null && v.isTextual()) {
                    carrier.put(key, v.asText());
                }
            }
            return carrier;
        } catch (JsonProcessingException e) {
            return Map.of();
        }
    }

    /**
     * @param metadataJson a new job's metadata, a JSON object
     * @param carrier the trace keys to add (as a propagator injected them); empty to add nothing
     * @return the metadata with the keys added, or {@code metadataJson} itself if there is nothing to add or it has a
     *     {@value #TRACEPARENT} already: the creator's own trace context wins over the thread's
     */
    static String withTrace(String metadataJson, Map<String, String> carrier) {
        if (!carrier.containsKey(TRACEPARENT)) {
            return metadataJson;
        }
        try {
            JsonNode parsed = JSON.readTree(metadataJson);
            if (!(parsed instanceof ObjectNode m) || m.has(TRACEPARENT)) {
                return metadataJson;
            }
            m.put(TRACEPARENT, carrier.get(TRACEPARENT));
            if (carrier.containsKey(TRACESTATE) && !m.has(TRACESTATE)) {
                m.put(TRACESTATE, carrier.get(TRACESTATE));
            }
            return JSON.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            return metadataJson; // the core validated it; should it not parse here, the job is created untraced
        }
    }
}
