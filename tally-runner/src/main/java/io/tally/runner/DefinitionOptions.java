package io.tally.runner;

import io.tally.InvalidInputException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The optional settings of a {@link Definition}, started with {@link Definition#dependsOn} or
 * {@link Definition#options()}. Every setter validates at once. Defaults: no dependencies, no parameters, no cleanup,
 * the id as title, no tags, no timeout, version {@code "1"}.
 *
 * <pre>{@code
 * Definition.dependsOn("fetch").params(Map.of("lang", "en")).title("Parse pages").tags("etl")
 *         .timeout(Duration.ofMinutes(10)).version("2").cleanup(ctx -> deleteTempFiles());
 * }</pre>
 */
public final class DefinitionOptions {
    final List<String> dependsOn = new ArrayList<>();
    final Map<String, Object> params = new LinkedHashMap<>();
    final Set<String> tags = new LinkedHashSet<>();
    final Set<String> secrets = new LinkedHashSet<>();
    CleanupFunction cleanup;
    String title;
    Duration timeout;
    String version = "1";

    DefinitionOptions() {}

    /** @param ids definitions this one depends on; their results are passed to it (may name later definitions) */
    public DefinitionOptions dependsOn(String... ids) {
        if (ids == null) {
            throw new InvalidInputException("dependsOn", "must not be null");
        }
        for (String id : ids) {
            Definition.checkId("dependsOn", id);
            if (!dependsOn.contains(id)) {
                dependsOn.add(id);
            }
        }
        return this;
    }

    /** @param params default parameters (JSON-serializable values); a build may override them */
    public DefinitionOptions params(Map<String, ?> params) {
        if (params == null) {
            throw new InvalidInputException("params", "must not be null");
        }
        this.params.putAll(RunnerJson.toMap("params", params));
        return this;
    }

    /** @param name a parameter name @param value its default value (JSON-serializable) */
    public DefinitionOptions param(String name, Object value) {
        if (name == null || name.isBlank()) {
            throw new InvalidInputException("param", "name must not be blank");
        }
        this.params.putAll(RunnerJson.toMap("params", java.util.Collections.singletonMap(name, value)));
        return this;
    }

    /**
     * @param names parameters whose values are secrets (passwords, tokens): the build sees them, the store only ever
     *     holds {@code "***"} in their place (they still count in the fingerprint, through its hash)
     */
    public DefinitionOptions secretParams(String... names) {
        if (names == null) {
            throw new InvalidInputException("secretParams", "must not be null");
        }
        for (String n : names) {
            if (n == null || n.isBlank()) {
                throw new InvalidInputException("secretParams", "names must not be blank");
            }
            secrets.add(n);
        }
        return this;
    }

    /** @param cleanup runs after the function, whatever its outcome */
    public DefinitionOptions cleanup(CleanupFunction cleanup) {
        if (cleanup == null) {
            throw new InvalidInputException("cleanup", "must not be null");
        }
        this.cleanup = cleanup;
        return this;
    }

    /** @param title a human-readable title (default: the id) */
    public DefinitionOptions title(String title) {
        if (title == null || title.isBlank() || title.length() > 512) {
            throw new InvalidInputException("title", "must be 1–512 characters");
        }
        this.title = title;
        return this;
    }

    /** @param tags labels for listing and filtering */
    public DefinitionOptions tags(String... tags) {
        if (tags == null) {
            throw new InvalidInputException("tags", "must not be null");
        }
        for (String t : tags) {
            if (t == null || t.isBlank() || t.length() > 128) {
                throw new InvalidInputException("tags", "each tag must be 1–128 characters");
            }
            this.tags.add(t);
        }
        return this;
    }

    /**
     * @param timeout execution deadline of each build; past it the store's sweep fails the build as {@code timeout}
     */
    public DefinitionOptions timeout(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new InvalidInputException("timeout", "must be positive");
        }
        this.timeout = timeout;
        return this;
    }

    /**
     * @param version the code's version; changing it changes the input fingerprint, so existing builds become
     *     outdated
     */
    public DefinitionOptions version(String version) {
        if (version == null || version.isBlank() || version.length() > 128) {
            throw new InvalidInputException("version", "must be 1–128 characters");
        }
        this.version = version;
        return this;
    }
}
