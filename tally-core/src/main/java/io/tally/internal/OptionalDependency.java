package io.tally.internal;

import java.util.Objects;
import java.util.function.Function;

/**
 * An optional dependency of a Tally module, and the one message every module gives when it is missing: what needs it,
 * the class that was not found and the Maven artifact to add. A JDBC driver, the YAML reader of definitions files, the
 * Redis client of the Redis Streams dispatcher and Logback for build log capture are all checked through here.
 *
 * <pre>{@code
 * static final OptionalDependency YAML = OptionalDependency.of(
 *         "reading a YAML definitions file", "com.fasterxml.jackson.dataformat.yaml.YAMLFactory",
 *         "com.fasterxml.jackson.dataformat:jackson-dataformat-yaml").orElse("write the file as JSON");
 * YAML.require(Foo.class, message -> new InvalidInputException("definitions", message));
 * }</pre>
 *
 * Check before touching the dependency's classes, and keep the code that uses them in a class of its own: a class whose
 * methods mention a missing class can fail to load as a whole (the JVM's verifier loads the classes it must compare),
 * with a bare {@link NoClassDefFoundError} before any check in it runs.
 */
public final class OptionalDependency {
    private final String neededFor;
    private final String className;
    private final String artifact;
    private final String alternative;

    private OptionalDependency(String neededFor, String className, String artifact, String alternative) {
        this.neededFor = Objects.requireNonNull(neededFor, "neededFor");
        this.className = Objects.requireNonNull(className, "className");
        this.artifact = Objects.requireNonNull(artifact, "artifact");
        this.alternative = alternative;
    }

    /**
     * @param neededFor what needs it, as the start of a sentence ("the postgresql store")
     * @param className a class of the dependency, looked up to see whether it is there
     * @param artifact the Maven coordinates to add, {@code groupId:artifactId} (the BOM or the artifact's README gives
     *     the version)
     * @return the dependency
     */
    public static OptionalDependency of(String neededFor, String className, String artifact) {
        return new OptionalDependency(neededFor, className, artifact, null);
    }

    /**
     * @param alternative what to do instead of adding the artifact ("write the file as JSON")
     * @return this dependency, whose message also names the alternative
     */
    public OptionalDependency orElse(String alternative) {
        return new OptionalDependency(neededFor, className, artifact, Objects.requireNonNull(alternative));
    }

    /** @return the Maven coordinates named in the message */
    public String artifact() {
        return artifact;
    }

    /**
     * @param user a class of the module that needs the dependency: its class loader is asked
     * @return whether the dependency's class can be loaded
     */
    public boolean present(Class<?> user) {
        try {
            Class.forName(className, false, user.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** @return the message saying the dependency is missing and which artifact to add */
    public String missingMessage() {
        return neededFor + " needs " + className + ", which is not on the class path: add the Maven artifact "
                + artifact + (alternative == null ? "" : ", or " + alternative);
    }

    /**
     * Throws the caller's exception, with {@link #missingMessage()}, when the dependency is missing.
     *
     * @param user a class of the module that needs the dependency: its class loader is asked
     * @param error makes the exception from the message
     * @param <X> the exception thrown
     * @throws X when the dependency's class cannot be loaded
     */
    public <X extends Throwable> void require(Class<?> user, Function<String, X> error) throws X {
        if (!present(user)) {
            throw error.apply(missingMessage());
        }
    }
}
