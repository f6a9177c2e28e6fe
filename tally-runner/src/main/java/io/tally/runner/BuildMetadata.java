package io.tally.runner;

import io.tally.store.JobRecord;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the runner stores in a build job's metadata (JSON), so that any process — a CLI, the server, another worker —
 * can read a build's inputs:
 *
 * <pre>{@code
 * {"runner": "build", "definition": "parse", "version": "1", "title": "Parse", "tags": ["etl"],
 *  "params": {...}, "dependencies": {"fetch": "<pinned build id>"}, "fingerprint": "<sha-256 hex>"}
 * }</pre>
 */
record BuildMetadata(
        String definition, String version, Map<String, Object> params, Map<String, String> pinned, String fingerprint) {
    static final String KIND_KEY = "runner";
    static final String KIND_BUILD = "build";

    /** The stored form: secret parameters are replaced by {@code "***"} (the fingerprint already covers them). */
    Map<String, Object> toMap(String title, Set<String> tags, Set<String> secretParams) {
        Map<String, Object> shown = new LinkedHashMap<>(params);
        for (String secret : secretParams) {
            shown.computeIfPresent(secret, (k, v) -> "***");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(KIND_KEY, KIND_BUILD);
        m.put("definition", definition);
        m.put("version", version);
        m.put("title", title);
        m.put("tags", List.copyOf(tags));
        m.put("params", shown);
        m.put("dependencies", pinned);
        m.put("fingerprint", fingerprint);
        return m;
    }

    static boolean isBuild(JobRecord r) {
        // Cheap pre-check before parsing: most jobs of a store are not builds.
        return r.metadataJson().contains("\"" + KIND_KEY + "\"")
                && KIND_BUILD.equals(RunnerJson.parseMap(r.metadataJson()).get(KIND_KEY));
    }

    @SuppressWarnings("unchecked")
    static BuildMetadata of(JobRecord r) {
        Map<String, Object> m = RunnerJson.parseMap(r.metadataJson());
        Map<String, String> pinned = new LinkedHashMap<>();
        Object deps = m.get("dependencies");
        if (deps instanceof Map<?, ?> d) {
            d.forEach((k, v) -> pinned.put(String.valueOf(k), String.valueOf(v)));
        }
        Object params = m.get("params");
        return new BuildMetadata(
                String.valueOf(m.getOrDefault("definition", r.name())),
                String.valueOf(m.getOrDefault("version", "")),
                params instanceof Map<?, ?> p ? (Map<String, Object>) p : Map.of(),
                pinned,
                String.valueOf(m.getOrDefault("fingerprint", "")));
    }
}
