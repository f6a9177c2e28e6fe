package io.tally.runner;

import java.util.Map;
import java.util.Objects;

/**
 * How {@link Runner#build(String, BuildOptions)} treats dependencies and dependents, and parameter overrides.
 * Immutable: each setter returns a copy.
 *
 * <table>
 * <caption>Settings</caption>
 * <tr><th>setting</th><th>default</th><th>meaning</th></tr>
 * <tr><td>{@code buildDependencies}</td><td>false</td><td>build missing, failed or outdated dependencies first (in
 * topological order, independent branches in parallel); when false a dependency without a successful build fails
 * the build with "dependencies not met: X"</td></tr>
 * <tr><td>{@code buildDependents}</td><td>false</td><td>after a success, rebuild everything downstream</td></tr>
 * <tr><td>{@code params}</td><td>none</td><td>parameters that override the definition's defaults for this build
 * (not for the dependencies it builds)</td></tr>
 * </table>
 */
public final class BuildOptions {
    private static final BuildOptions DEFAULTS = new BuildOptions(false, false, Map.of());

    private final boolean buildDependencies;
    private final boolean buildDependents;
    private final Map<String, Object> params;

    private BuildOptions(boolean buildDependencies, boolean buildDependents, Map<String, Object> params) {
        this.buildDependencies = buildDependencies;
        this.buildDependents = buildDependents;
        this.params = params;
    }

    /** @return the defaults: build only the named definition, against its dependencies' latest successful builds */
    public static BuildOptions defaults() {
        return DEFAULTS;
    }

    /** @param build true to build missing, failed or outdated dependencies first */
    public BuildOptions buildDependencies(boolean build) {
        return new BuildOptions(build, buildDependents, params);
    }

    /** @param build true to rebuild every transitive dependent after a successful build */
    public BuildOptions buildDependents(boolean build) {
        return new BuildOptions(buildDependencies, build, params);
    }

    /**
     * @param params parameters overriding the definition's defaults for this build
     * @throws NullPointerException if {@code params} is null
     * @throws io.tally.InvalidInputException if a value cannot be turned into JSON
     */
    public BuildOptions params(Map<String, ?> params) {
        Objects.requireNonNull(params, "params");
        return new BuildOptions(
                buildDependencies, buildDependents, RunnerJson.unmodifiable(RunnerJson.toMap("params", params)));
    }

    /** @return whether dependencies are built first */
    public boolean buildDependencies() {
        return buildDependencies;
    }

    /** @return whether dependents are rebuilt afterwards */
    public boolean buildDependents() {
        return buildDependents;
    }

    /** @return the parameter overrides */
    public Map<String, Object> params() {
        return params;
    }

    @Override
    public String toString() {
        return "BuildOptions{buildDependencies=" + buildDependencies + ", buildDependents=" + buildDependents
                + ", params=" + params + "}";
    }
}
