package io.tally.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tally.InvalidInputException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** The one JSON mapper of the core, and the checks on JSON input. */
public final class Json {
    /** Shared mapper; thread-safe once configured. */
    public static final ObjectMapper MAPPER =
            new ObjectMapper().findAndRegisterModules().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    /**
     * The reader of JSON input at every edge: nothing may follow the value ({@code {"a":1} xx} is an error, not
     * {@code {"a":1}}) and a key given twice is refused rather than silently taking the last.
     */
    public static final ObjectReader STRICT = MAPPER.reader()
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

    private Json() {}

    /** @return any value as JSON text */
    public static String write(Object value, String field) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new InvalidInputException(field, "cannot be written as JSON: " + e.getMessage());
        }
    }

    /** @return a JSON object's text, checked to be an object of at most 64 KiB */
    public static String object(String field, Object value) {
        JsonNode node = value instanceof String s ? parse(field, s) : MAPPER.valueToTree(value);
        if (node == null || !node.isObject()) {
            throw new InvalidInputException(field, "must be a JSON object");
        }
        return checkSize(field, node.toString());
    }

    /** @return {@code json} parsed strictly ({@link #STRICT}), or an {@link InvalidInputException} naming the field */
    public static JsonNode parse(String field, String json) {
        try {
            JsonNode node = STRICT.readTree(json);
            if (node == null || node.isMissingNode()) {
                throw new InvalidInputException(field, "is empty, expected JSON");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new InvalidInputException(field, "is not valid JSON: " + e.getOriginalMessage());
        }
    }

    /** @return {@code json} if it is at most 64 KiB of UTF-8, without NUL characters or lone surrogates */
    public static String checkSize(String field, String json) {
        int bytes = json.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > Validation.MAX_JSON_BYTES) {
            throw new InvalidInputException(
                    field, "is " + bytes + " bytes of JSON, more than the limit of " + Validation.MAX_JSON_BYTES);
        }
        if (json.contains("\\u0000")) {
            throw new InvalidInputException(field, "must not contain NUL characters");
        }
        if (Validation.hasLoneSurrogate(json)) {
            // (the JSON writer passes one through as it is; stored, it would become '?')
            throw new InvalidInputException(field, "contains invalid Unicode (a lone surrogate)");
        }
        return json;
    }

    /** @return stored JSON object text as a map (empty for null) */
    public static Map<String, Object> toMap(String json) {
        if (json == null || json.isEmpty()) {
            return Map.of();
        }
        try {
            return MAPPER.readValue(json, MAP);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON is corrupt: " + e.getOriginalMessage(), e);
        }
    }

    /** @return stored JSON text as a tree */
    public static JsonNode tree(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON is corrupt: " + e.getOriginalMessage(), e);
        }
    }

    /** @return a copy of a part payload with {@code jobId} and {@code partId} set, as watchbot does */
    public static String partPayload(String field, Object payload, String jobId, int part) {
        JsonNode node = payload instanceof String s ? parse(field, s) : MAPPER.valueToTree(payload);
        if (node == null || !node.isObject()) {
            throw new InvalidInputException(field, "part " + part + " must be a JSON object");
        }
        ObjectNode copy = ((ObjectNode) node).deepCopy();
        copy.put("jobId", jobId);
        copy.put("partId", part);
        return checkSize(field, copy.toString());
    }
}
