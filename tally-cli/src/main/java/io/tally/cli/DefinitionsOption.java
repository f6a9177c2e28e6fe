package io.tally.cli;

import io.tally.InvalidInputException;
import io.tally.Tally;
import io.tally.runner.Runner;
import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The {@code --definitions FILE} and {@code --classpath PATH} options of the commands that read a definitions file
 * (YAML or JSON, format in tally-runner's README): {@code serve}, {@code defs}, {@code build}, {@code builds} and
 * {@code worker}. The classes the file names are found on the class path, extended with {@code --classpath}.
 *
 * <p>The descriptions below are those of {@code defs} and {@code build}; the other commands say what the options mean
 * for them through keys such as {@code tally.serve.definitions} in {@code io/tally/cli/help.properties}, which picocli
 * prefers to the annotation's text.
 */
final class DefinitionsOption {
    @Option(
            names = "--definitions",
            paramLabel = "FILE",
            description = "the definitions file, YAML or JSON (default: env TALLY_DEFINITIONS)")
    Path definitions;

    @Option(
            names = "--classpath",
            paramLabel = "PATH",
            description = "jars and directories holding the definitions' classes, separated by the path separator "
                    + "(':' on Unix; default: env TALLY_CLASSPATH)")
    String classpath;

    /**
     * @param required true to fail (exit 2) when neither the option nor {@code TALLY_DEFINITIONS} is given
     * @return the definitions file, or null when not given and not required
     */
    Path file(Console console, boolean required) {
        if (definitions != null) {
            return definitions;
        }
        String env = console.env().get("TALLY_DEFINITIONS");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        if (required) {
            throw new InvalidInputException("--definitions", "FILE is required (or set TALLY_DEFINITIONS)");
        }
        return null;
    }

    /** @return a runner over the definitions file (required), its classpath applied; close it before the Tally */
    Runner runner(Console console, Tally tally) {
        Path file = file(console, true);
        useClasspath(console);
        return Runner.builder(tally).definitions(file).build();
    }

    /**
     * Makes the jars and directories of {@code --classpath} (or {@code TALLY_CLASSPATH}) visible to the definitions
     * file: the runner resolves its classes with the thread's context class loader.
     */
    void useClasspath(Console console) {
        String cp = classpath != null ? classpath : console.env().get("TALLY_CLASSPATH");
        if (cp == null || cp.isBlank()) {
            return;
        }
        List<URL> urls = new ArrayList<>();
        for (String entry : cp.split(File.pathSeparator)) {
            if (entry.isBlank()) {
                continue;
            }
            File f = new File(entry);
            if (!f.exists()) {
                throw new InvalidInputException("--classpath", "no such file or directory: " + entry);
            }
            try {
                urls.add(f.toURI().toURL());
            } catch (MalformedURLException e) {
                throw new InvalidInputException("--classpath", "not a path: " + entry);
            }
        }
        Thread t = Thread.currentThread();
        ClassLoader parent = t.getContextClassLoader() != null
                ? t.getContextClassLoader()
                : DefinitionsOption.class.getClassLoader();
        t.setContextClassLoader(new URLClassLoader(urls.toArray(new URL[0]), parent));
    }

    /** Fails with exit code 3, naming the definitions there are, when {@code id} is not one of them. */
    static void requireDefinition(Runner runner, String id) {
        if (runner.definition(id).isEmpty()) {
            List<String> ids = runner.definitions().stream().map(d -> d.id()).toList();
            throw new NotFoundException("no such definition: " + id + " (defined: " + String.join(", ", ids) + ")");
        }
    }
}
