package io.tally.runner;

import io.tally.InvalidInputException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The optional settings of a {@link Definition}, started with {@link Definition#dependsOn} or
 * {@link Definition#options()}. Every setter validates at once. Defaults: no dependencies, no parameters, no cleanup,
 * the id as title, no tags, no timeout, version {@code "1"}, a cancelled build's thread interrupted.
 *
 * <pre>{@code
 * Definition.dependsOn("fetch").params(Map.of("lang", "en")).title("Parse pages").tags("etl")
 *         .timeout(Duration.ofMinutes(10)).version("2").cleanup(ctx -> deleteTempFiles());
 * }</pre>
 *
 * A null argument is the program's mistake, a {@link NullPointerException}; a bad value (an id, a title, a tag …) is
 * refused as {@link InvalidInputException}, as definitions are data that may come from a file.
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
    boolean interruptOnCancel = true;

    DefinitionOptions() {}

    /**
     * @param ids definitions this one depends on; their results are passed to it (may name later definitions)
     * @throws NullPointerException if {@code ids} is null
     * @throws InvalidInputException if an id is not a valid definition id
     */
    public DefinitionOptions dependsOn(String... ids) {
        Objects.requireNonNull(ids, "dependsOn");
        for (String id : ids) {
            Definition.checkId("dependsOn", id);
            if (!dependsOn.contains(id)) {
                dependsOn.add(id);
            }
        }
        return this;
    }

    /**
     * @param params default parameters (JSON-serializable values); a build may override them
     * @throws NullPointerException if {@code params} is null
     * @throws InvalidInputException if a value cannot be written as JSON
     */
    public DefinitionOptions params(Map<String, ?> params) {
        this.params.putAll(RunnerJson.toMap("params", Objects.requireNonNull(params, "params")));
        return this;
    }

    /**
     * @param name a parameter name
     * @param value its default value (JSON-serializable)
     * @throws NullPointerException if {@code name} is null
     * @throws InvalidInputException if {@code name} is blank or the value cannot be written as JSON
     */
    public DefinitionOptions param(String name, Object value) {
        if (Objects.requireNonNull(name, "param name").isBlank()) {
            throw new InvalidInputException("param", "name must not be blank");
        }
        this.params.putAll(RunnerJson.toMap("params", java.util.Collections.singletonMap(name, value)));
        return this;
    }

    /**
     * @param names parameters whose values are secrets (passwords, tokens): the build sees them, the store only ever
     *     holds {@code "***"} in their place (they still count in the fingerprint, through its hash)
     * @throws NullPointerException if {@code names} is null
     * @throws InvalidInputException if a name is null or blank
     */
    public DefinitionOptions secretParams(String... names) {
        Objects.requireNonNull(names, "secretParams");
        for (String n : names) {
            if (n == null || n.isBlank()) {
                throw new InvalidInputException("secretParams", "names must not be blank");
            }
            secrets.add(n);
        }
        return this;
    }

    /**
     * @param cleanup runs after the function, whatever its outcome
     * @throws NullPointerException if {@code cleanup} is null
     */
    public DefinitionOptions cleanup(CleanupFunction cleanup) {
        this.cleanup = Objects.requireNonNull(cleanup, "cleanup");
        return this;
    }

    /**
     * @param title a human-readable title (default: the id)
     * @throws NullPointerException if {@code title} is null
     * @throws InvalidInputException if it is blank or longer than 512 characters
     */
    public DefinitionOptions title(String title) {
        if (Objects.requireNonNull(title, "title").isBlank() || title.length() > 512) {
            throw new InvalidInputException("title", "must be 1–512 characters");
        }
        this.title = title;
        return this;
    }

    /**
     * @param tags labels for listing and filtering
     * @throws NullPointerException if {@code tags} is null
     * @throws InvalidInputException if a tag is null, blank or longer than 128 characters
     */
    public DefinitionOptions tags(String... tags) {
        Objects.requireNonNull(tags, "tags");
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
     * @throws NullPointerException if {@code timeout} is null
     * @throws InvalidInputException if it is zero or negative
     */
    public DefinitionOptions timeout(Duration timeout) {
        if (Objects.requireNonNull(timeout, "timeout").isNegative() || timeout.isZero()) {
            throw new InvalidInputException("timeout", "must be positive, was " + timeout);
        }
        this.timeout = timeout;
        return this;
    }

    /**
     * @param version the code's version; changing it changes the input fingerprint, so existing builds become
     *     outdated
     * @throws NullPointerException if {@code version} is null
     * @throws InvalidInputException if it is blank or longer than 128 characters
     */
    public DefinitionOptions version(String version) {
        if (Objects.requireNonNull(version, "version").isBlank() || version.length() > 128) {
            throw new InvalidInputException("version", "must be 1–128 characters");
        }
        this.version = version;
        return this;
    }

    /**
     * @param interrupt whether a build's thread is interrupted when its job is cancelled (the default). Off for a
     *     function that must not be interrupted mid-way (it may hold resources that an interrupt would break, such
     *     as a JDBC connection): it should then check {@link BuildContext#cancelled()} itself.
     */
    public DefinitionOptions interruptOnCancel(boolean interrupt) {
        this.interruptOnCancel = interrupt;
        return this;
    }
}
