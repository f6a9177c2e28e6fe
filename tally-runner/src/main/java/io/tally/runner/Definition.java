package io.tally.runner;

import io.tally.InvalidInputException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A job definition (jobcontrol's "job"): a function, its default JSON parameters, the definitions it depends on, an
 * optional cleanup, a title, tags, an optional timeout and a version. Immutable; made by
 * {@link Runner.Builder#define(String, BuildFunction, DefinitionOptions)}, or on its own by {@link #of} (a definition
 * declared apart from its runner, e.g. a Spring bean) and given to {@link Runner.Builder#define(Definition)}.
 */
public final class Definition {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private final String id;
    private final BuildFunction function;
    private final List<String> dependencies;
    private final Map<String, Object> params;
    private final CleanupFunction cleanup;
    private final String title;
    private final Set<String> tags;
    private final Set<String> secretParams;
    private final Duration timeout;
    private final String version;
    private final boolean interruptOnCancel;

    Definition(String id, BuildFunction function, DefinitionOptions o) {
        this.id = checkId("id", id);
        if (o.dependsOn.contains(id)) {
            throw new InvalidInputException("dependsOn", "definition " + id + " cannot depend on itself");
        }
        this.function = Objects.requireNonNull(function, "function");
        this.dependencies = List.copyOf(o.dependsOn);
        this.params = RunnerJson.unmodifiable(o.params);
        this.cleanup = o.cleanup;
        this.title = o.title == null ? id : o.title;
        this.tags = Set.copyOf(o.tags);
        this.secretParams = Set.copyOf(o.secrets);
        this.timeout = o.timeout;
        this.version = o.version;
        this.interruptOnCancel = o.interruptOnCancel;
    }

    /**
     * A definition on its own, for {@link Runner.Builder#define(Definition)}: the same checks as
     * {@link Runner.Builder#define(String, BuildFunction, DefinitionOptions)} but those against the runner's other
     * definitions (a taken id, a cycle), which {@code define} makes.
     *
     * @param id the definition id (1–128 of {@code A-Z a-z 0-9 . _ : -})
     * @param function the work
     * @param options dependencies, parameters, cleanup, title, tags, timeout, version
     * @return the definition
     * @throws NullPointerException if {@code function} or {@code options} is null
     * @throws InvalidInputException if the id is not a valid id, or the definition depends on itself
     */
    public static Definition of(String id, BuildFunction function, DefinitionOptions options) {
        return new Definition(id, function, Objects.requireNonNull(options, "options"));
    }

    /**
     * @param ids the definitions the new one depends on
     * @return options to pass to {@link Runner.Builder#define(String, BuildFunction, DefinitionOptions)}
     * @throws NullPointerException if {@code ids} is null
     * @throws InvalidInputException if an id is not a valid definition id
     */
    public static DefinitionOptions dependsOn(String... ids) {
        return new DefinitionOptions().dependsOn(ids);
    }

    /** @return options without dependencies, to set parameters, cleanup, title, tags, timeout or version */
    public static DefinitionOptions options() {
        return new DefinitionOptions();
    }

    static String checkId(String field, String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new InvalidInputException(
                    field, "a definition id is 1–128 characters of A-Z a-z 0-9 . _ : - (was '" + id + "')");
        }
        return id;
    }

    /** @return the id; builds are Tally jobs with this name */
    public String id() {
        return id;
    }

    /** @return the function */
    public BuildFunction function() {
        return function;
    }

    /** @return the definitions this one depends on, in declaration order */
    public List<String> dependencies() {
        return dependencies;
    }

    /** @return the default parameters, as JSON values (maps, lists, strings, numbers, booleans) */
    public Map<String, Object> params() {
        return params;
    }

    /** @return the cleanup function */
    public Optional<CleanupFunction> cleanup() {
        return Optional.ofNullable(cleanup);
    }

    /** @return the title (the id unless set) */
    public String title() {
        return title;
    }

    /** @return the tags */
    public Set<String> tags() {
        return tags;
    }

    /** @return the parameters whose values are never stored */
    public Set<String> secretParams() {
        return secretParams;
    }

    /** @return the execution deadline of each build */
    public Optional<Duration> timeout() {
        return Optional.ofNullable(timeout);
    }

    /** @return the version, part of the input fingerprint */
    public String version() {
        return version;
    }

    /** @return whether a build's thread is interrupted when its job is cancelled (not part of the fingerprint) */
    public boolean interruptOnCancel() {
        return interruptOnCancel;
    }

    @Override
    public String toString() {
        return "Definition{" + id + (dependencies.isEmpty() ? "" : " ← " + dependencies) + "}";
    }
}
