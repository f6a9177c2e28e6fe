package io.tally.runner;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.tally.InvalidInputException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/** JSON helpers of the runner: parameter conversion and the canonical form hashed into a fingerprint. */
final class RunnerJson {
    static final ObjectMapper MAPPER =
            new ObjectMapper().findAndRegisterModules().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    // Sorted keys at every depth, so equal inputs hash equally whatever the map order they were given in.
    private static final ObjectMapper CANONICAL = MAPPER.copy().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {};

    private RunnerJson() {}

    /** @return the value converted to plain JSON values (so that it is checked to be JSON now, not at build time) */
    static Map<String, Object> toMap(String field, Object value) {
        try {
            return MAPPER.convertValue(value, MAP);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(field, "cannot be written as JSON: " + e.getMessage());
        }
    }

    static Map<String, Object> unmodifiable(Map<String, Object> m) {
        return Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }

    static Map<String, Object> parseMap(String json) {
        try {
            return json == null || json.isEmpty() ? Map.of() : MAPPER.readValue(json, MAP);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON is corrupt: " + e.getOriginalMessage(), e);
        }
    }

    static JsonNode tree(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON is corrupt: " + e.getOriginalMessage(), e);
        }
    }

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new InvalidInputException("result", "cannot be written as JSON: " + e.getOriginalMessage());
        }
    }

    static <T> T convert(String field, Object value, Class<T> type) {
        try {
            return MAPPER.convertValue(value, type);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(field, "cannot be read as " + type.getSimpleName() + ": " + e.getMessage());
        }
    }

    /**
     * The input fingerprint of a build: SHA-256 over the canonical JSON of its parameters, the definition version and
     * the pinned dependency builds.
     */
    static String fingerprint(Map<String, Object> params, String version, Map<String, String> pinned) {
        Map<String, Object> input = new TreeMap<>();
        input.put("params", params);
        input.put("version", version);
        input.put("dependencies", new TreeMap<>(pinned));
        try {
            byte[] canonical = CANONICAL.writeValueAsBytes(input);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical));
        } catch (JsonProcessingException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot hash build inputs", e);
        }
    }
}
