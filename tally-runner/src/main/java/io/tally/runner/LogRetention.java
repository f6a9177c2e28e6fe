package io.tally.runner;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import org.slf4j.event.Level;

/**
 * How many log lines of each level a build keeps. The first lines of a level are kept up to its limit; later ones are
 * counted and dropped, and a closing INFO line says how many were dropped. Immutable.
 *
 * <table>
 * <caption>Defaults</caption>
 * <tr><th>level</th><th>kept</th></tr>
 * <tr><td>TRACE</td><td>1,000</td></tr>
 * <tr><td>DEBUG</td><td>10,000</td></tr>
 * <tr><td>INFO, WARN, ERROR</td><td>all</td></tr>
 * </table>
 */
public final class LogRetention {
    private final Map<Level, Integer> max;

    private LogRetention(Map<Level, Integer> max) {
        this.max = max;
    }

    /** @return the defaults in the table above */
    public static LogRetention defaults() {
        return unlimited().maxLines(Level.TRACE, 1_000).maxLines(Level.DEBUG, 10_000);
    }

    /** @return a retention that keeps every line */
    public static LogRetention unlimited() {
        return new LogRetention(new EnumMap<>(Level.class));
    }

    /**
     * @param level the level
     * @param lines most lines of that level one build keeps (0 drops them all)
     * @return a copy with that limit
     * @throws NullPointerException if {@code level} is null
     * @throws IllegalArgumentException if {@code lines} is negative
     */
    public LogRetention maxLines(Level level, int lines) {
        Objects.requireNonNull(level, "level");
        if (lines < 0) {
            throw new IllegalArgumentException("maxLines of " + level + " must not be negative, was " + lines);
        }
        Map<Level, Integer> copy = new EnumMap<>(Level.class);
        copy.putAll(max);
        copy.put(level, lines);
        return new LogRetention(copy);
    }

    /** @return the limit of a level, if it has one */
    public OptionalInt maxLines(Level level) {
        Integer n = max.get(level);
        return n == null ? OptionalInt.empty() : OptionalInt.of(n);
    }

    @Override
    public String toString() {
        return "LogRetention" + max;
    }
}
