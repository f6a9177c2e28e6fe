package io.tally.runner;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tally.InvalidInputException;
import io.tally.internal.OptionalDependency;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads definitions from a JSON or YAML file ({@code .yaml}/{@code .yml} need
 * {@code com.fasterxml.jackson.dataformat:jackson-dataformat-yaml}) whose functions are named
 * {@code com.example.Jobs#method}:
 *
 * <pre>{@code
 * definitions:
 *   - id: fetch
 *     function: com.example.Jobs#fetch       # a method taking a BuildContext (or nothing), returning the result
 *     params: {url: "https://example.com", token: "…"}
 *     secretParams: [token]                   # never stored, shown as "***"
 *     title: Fetch the page
 *     tags: [etl]
 *     timeout: PT10M                          # ISO-8601 duration
 *     version: "2"
 *     cleanup: com.example.Jobs#cleanup       # optional, same shape, its return value is ignored
 *   - id: parse
 *     function: com.example.Jobs#parse
 *     dependsOn: [fetch]
 * }</pre>
 *
 * A static method is called as is; for an instance method one instance per class is made with its public no-argument
 * constructor. Everything is resolved when the file is read, so a typo fails at start-up, not at the first build.
 */
final class DefinitionsFile {
    private DefinitionsFile() {}

    @JsonIgnoreProperties(ignoreUnknown = false)
    record FileContent(
            @JsonProperty("definitions") List<Entry> definitions,
            @JsonProperty("mapReduces") List<MapReduceEntry> mapReduces) {}

    record MapReduceEntry(
            @JsonProperty("name") String name,
            @JsonProperty("part") String part,
            @JsonProperty("reduce") String reduce,
            @JsonProperty("failJobOn") List<String> failJobOn,
            @JsonProperty("toleratedFailures") Integer toleratedFailures,
            @JsonProperty("maxAttempts") Integer maxAttempts) {}

    record Entry(
            @JsonProperty("id") String id,
            @JsonProperty("function") String function,
            @JsonProperty("dependsOn") List<String> dependsOn,
            @JsonProperty("params") Map<String, Object> params,
            @JsonProperty("secretParams") List<String> secretParams,
            @JsonProperty("title") String title,
            @JsonProperty("tags") List<String> tags,
            @JsonProperty("timeout") String timeout,
            @JsonProperty("version") String version,
            @JsonProperty("cleanup") String cleanup) {}

    static void load(Path file, ClassLoader loader, Runner.Builder into) {
        FileContent content = read(file);
        if (content == null || (content.definitions() == null && content.mapReduces() == null)) {
            throw new InvalidInputException(
                    "definitions", file + " has neither a 'definitions' nor a 'mapReduces' list");
        }
        Map<Class<?>, Object> instances = new HashMap<>();
        for (Entry e : content.definitions() == null ? List.<Entry>of() : content.definitions()) {
            if (e == null || e.id() == null || e.function() == null) {
                throw new InvalidInputException(
                        "definitions", "every definition in " + file + " needs an id and a function");
            }
            Invoker fn = resolve("function of " + e.id(), e.function(), BuildContext.class, loader, instances);
            DefinitionOptions o = Definition.options();
            if (e.dependsOn() != null) {
                o.dependsOn(e.dependsOn().toArray(new String[0]));
            }
            if (e.params() != null) {
                o.params(e.params());
            }
            if (e.secretParams() != null) {
                o.secretParams(e.secretParams().toArray(new String[0]));
            }
            if (e.title() != null) {
                o.title(e.title());
            }
            if (e.tags() != null) {
                o.tags(e.tags().toArray(new String[0]));
            }
            if (e.timeout() != null) {
                try {
                    o.timeout(Duration.parse(e.timeout()));
                } catch (DateTimeParseException bad) {
                    throw new InvalidInputException(
                            "timeout", "of " + e.id() + " is not an ISO-8601 duration: " + e.timeout());
                }
            }
            if (e.version() != null) {
                o.version(e.version());
            }
            if (e.cleanup() != null) {
                Invoker cleanup = resolve("cleanup of " + e.id(), e.cleanup(), BuildContext.class, loader, instances);
                o.cleanup(ctx -> cleanup.invoke(ctx));
            }
            into.define(e.id(), fn::invoke, o);
        }
        for (MapReduceEntry m : content.mapReduces() == null ? List.<MapReduceEntry>of() : content.mapReduces()) {
            if (m == null || m.name() == null || m.part() == null || m.reduce() == null) {
                throw new InvalidInputException(
                        "mapReduces", "every map-reduce in " + file + " needs name, part, reduce");
            }
            Invoker part = resolve("part of " + m.name(), m.part(), PartContext.class, loader, instances);
            Invoker reduce = resolve("reduce of " + m.name(), m.reduce(), ReduceContext.class, loader, instances);
            MapReduceOptions o = MapReduceOptions.failJobOn(failJobOn(m, loader));
            try {
                if (m.toleratedFailures() != null) {
                    o = o.toleratedFailures(m.toleratedFailures());
                }
                if (m.maxAttempts() != null) {
                    o = o.maxAttempts(m.maxAttempts());
                }
            } catch (IllegalArgumentException bad) { // the options refuse a bad setting; in a file it is input
                throw new InvalidInputException("mapReduces", m.name() + " in " + file + ": " + bad.getMessage());
            }
            into.mapReduce(m.name(), part::invoke, reduce::invoke, o);
        }
    }

    @SuppressWarnings("unchecked")
    private static Class<? extends Throwable>[] failJobOn(MapReduceEntry m, ClassLoader loader) {
        List<String> names = m.failJobOn() == null ? List.of() : m.failJobOn();
        Class<? extends Throwable>[] out = new Class[names.size()];
        for (int i = 0; i < out.length; i++) {
            try {
                Class<?> c = Class.forName(names.get(i), false, loader);
                if (!Throwable.class.isAssignableFrom(c)) {
                    throw new InvalidInputException("failJobOn", names.get(i) + " is not an exception type");
                }
                out[i] = (Class<? extends Throwable>) c;
            } catch (ClassNotFoundException e) {
                throw new InvalidInputException("failJobOn", "class " + names.get(i) + " not found");
            }
        }
        return out;
    }

    private static FileContent read(Path file) {
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        ObjectMapper mapper = name.endsWith(".yaml") || name.endsWith(".yml") ? yamlMapper() : RunnerJson.MAPPER;
        try {
            return mapper.readValue(Files.readString(file), FileContent.class);
        } catch (IOException e) {
            throw new InvalidInputException("definitions", "cannot read " + file + ": " + e.getMessage());
        }
    }

    private static final OptionalDependency YAML = OptionalDependency.of(
                    "reading a YAML definitions file",
                    "com.fasterxml.jackson.dataformat.yaml.YAMLFactory",
                    "com.fasterxml.jackson.dataformat:jackson-dataformat-yaml")
            .orElse("write the file as JSON");

    private static ObjectMapper yamlMapper() {
        YAML.require(DefinitionsFile.class, message -> new InvalidInputException("definitions", message));
        return YamlMapper.create();
    }

    /**
     * The only code that names jackson-dataformat-yaml's classes, in a class of its own: when the optional dependency
     * is missing, {@link #YAML}'s check answers with a message before this class is loaded (loading it would fail with
     * a bare {@link NoClassDefFoundError}, as would loading {@link DefinitionsFile} if this code were in it).
     */
    private static final class YamlMapper {
        private YamlMapper() {}

        static ObjectMapper create() {
            return new ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()).findAndRegisterModules();
        }
    }

    /** Calls a resolved method with the context (if it takes one). */
    private record Invoker(Method method, Object target) {
        Object invoke(Object ctx) throws Exception {
            try {
                return method.getParameterCount() == 0 ? method.invoke(target) : method.invoke(target, ctx);
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                if (cause instanceof Exception ex) {
                    throw ex;
                }
                if (cause instanceof Error err) {
                    throw err;
                }
                throw e;
            }
        }
    }

    private static Invoker resolve(
            String field, String ref, Class<?> contextType, ClassLoader loader, Map<Class<?>, Object> instances) {
        int hash = ref.indexOf('#');
        if (hash <= 0 || hash == ref.length() - 1) {
            throw new InvalidInputException(field, "must look like com.example.Jobs#method, was '" + ref + "'");
        }
        String className = ref.substring(0, hash);
        String methodName = ref.substring(hash + 1);
        Class<?> type;
        try {
            type = Class.forName(className, true, loader);
        } catch (ClassNotFoundException e) {
            throw new InvalidInputException(field, "class " + className + " not found");
        }
        Method found = null;
        for (Method m : type.getMethods()) {
            if (!m.getName().equals(methodName)) {
                continue;
            }
            boolean takesContext = m.getParameterCount() == 1 && m.getParameterTypes()[0] == contextType;
            if (m.getParameterCount() == 0 || takesContext) {
                if (found == null || takesContext) {
                    found = m;
                }
            }
        }
        if (found == null) {
            throw new InvalidInputException(
                    field,
                    "no public method " + methodName + "(" + contextType.getSimpleName() + ") or " + methodName
                            + "() in " + className);
        }
        Object target = null;
        if (!Modifier.isStatic(found.getModifiers())) {
            target = instances.computeIfAbsent(type, t -> {
                try {
                    return t.getConstructor().newInstance();
                } catch (ReflectiveOperationException e) {
                    throw new InvalidInputException(
                            field,
                            className + " needs a public no-argument constructor for instance method " + methodName);
                }
            });
        }
        return new Invoker(found, target);
    }
}
