package io.tally.runner;

import io.tally.TallyException;
import java.util.List;

/**
 * A build could not run because a dependency has no successful build (and {@code buildDependencies} was false) or
 * the dependency's build in the same request did not succeed. Stored as the build's error.
 */
public class DependenciesNotMetException extends TallyException {
    private static final long serialVersionUID = 1L;
    private final List<String> missing;

    /** @param missing the definitions without a usable build */
    public DependenciesNotMetException(List<String> missing) {
        super("dependencies not met: " + String.join(", ", missing));
        this.missing = List.copyOf(missing);
    }

    /** @return the definitions without a usable build */
    public List<String> missing() {
        return missing;
    }
}
