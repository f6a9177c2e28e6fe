package io.tally.testing;

import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Runs code on the test's class path without some of its jars, to see what a user gets when an optional dependency is
 * missing (a JDBC driver, the YAML reader, Logback). The code is a {@link Callable} class with a public no-argument
 * constructor; it is loaded afresh, with everything it uses, by a class loader over the test class path minus the
 * named artifacts, so nothing loaded by the test itself leaks in. It answers a {@code String} (a JDK type, shared by
 * both sides).
 *
 * <pre>{@code
 * public static class OpenSqlite implements Callable<String> {
 *     public String call() { try (Tally t = Tally.open("sqlite::memory:")) { return "opened"; }
 *                            catch (RuntimeException e) { return e.getClass().getSimpleName() + ": " + e.getMessage(); } }
 * }
 * String answer = ClassPathWithout.artifacts("sqlite-jdbc").call(OpenSqlite.class);
 * }</pre>
 */
public final class ClassPathWithout {
    private final List<String> artifactIds;

    private ClassPathWithout(List<String> artifactIds) {
        this.artifactIds = artifactIds;
    }

    /**
     * @param artifactIds the Maven artifact ids whose jars are left out (a jar {@code <artifactId>-<version>.jar})
     * @return the class path without them
     */
    public static ClassPathWithout artifacts(String... artifactIds) {
        return new ClassPathWithout(List.of(artifactIds));
    }

    /**
     * @param code a {@code Callable<String>} class with a public no-argument constructor
     * @return what {@code code} answered, run with its own class loader and as the thread's context class loader
     * @throws Exception what {@code code} threw, or a failure to load it
     */
    public String call(Class<? extends Callable<String>> code) throws Exception {
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        try (URLClassLoader loader = new URLClassLoader(urls(), ClassLoader.getPlatformClassLoader())) {
            Thread.currentThread().setContextClassLoader(loader);
            @SuppressWarnings("unchecked")
            Callable<String> c = (Callable<String>)
                    loader.loadClass(code.getName()).getDeclaredConstructor().newInstance();
            return c.call();
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
    }

    private URL[] urls() throws MalformedURLException {
        List<URL> out = new ArrayList<>();
        boolean left = false;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (entry.isEmpty()) {
                continue;
            }
            File f = new File(entry);
            if (leftOut(f.getName())) {
                left = true;
                continue;
            }
            out.add(f.toURI().toURL());
        }
        if (!left) {
            throw new IllegalStateException(
                    "none of " + artifactIds + " is on the class path, so leaving them out tests nothing");
        }
        return out.toArray(URL[]::new);
    }

    private boolean leftOut(String fileName) {
        for (String a : artifactIds) {
            if (fileName.startsWith(a + "-")
                    && fileName.endsWith(".jar")
                    && Character.isDigit(fileName.charAt(a.length() + 1))) {
                return true;
            }
        }
        return false;
    }
}
