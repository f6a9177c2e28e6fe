package io.tally.store;

import java.time.Instant;

/**
 * One log record kept with a job (a build's log).
 *
 * @param seq position in the job's log, assigned by the store on append (ignored on input)
 * @param at when it was logged
 * @param level level name ({@code INFO}, {@code WARN}, …)
 * @param logger logger name, nullable
 * @param message the formatted message
 */
public record LogEntry(long seq, Instant at, String level, String logger, String message) {
    @Override
    public String toString() {
        return at + " " + level + " " + (logger == null ? "" : logger + " ") + message;
    }
}
