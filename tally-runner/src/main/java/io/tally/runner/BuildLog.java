package io.tally.runner;

import io.tally.store.JobStore;
import io.tally.store.LogEntry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The log of one running build (or map-reduce job): collects records from any thread, applies the retention, and
 * writes them to the store in batches with {@link JobStore#appendLogs} — when a batch is full, when the runner's
 * flusher passes (about once a second, so a long build's log can be followed live), and when the build ends.
 *
 * <p>Open logs are registered by job id so that the appender, which only sees the MDC, can find them.
 */
final class BuildLog {
    /** Longest message kept; a runaway log line must not exceed what a store accepts for one record. */
    static final int MAX_MESSAGE_CHARS = 32 * 1024;

    private static final Logger log = LoggerFactory.getLogger(BuildLog.class);
    private static final Map<String, BuildLog> OPEN = new ConcurrentHashMap<>();

    private final JobStore store;
    private final String jobId;
    private final Clock clock;
    private final LogRetention retention;
    private final int batchSize;
    private final Map<Level, Integer> kept = new EnumMap<>(Level.class);
    private final Map<Level, Integer> dropped = new EnumMap<>(Level.class);
    private List<LogEntry> buffer = new ArrayList<>();
    private boolean closed;

    private BuildLog(JobStore store, String jobId, Clock clock, LogRetention retention, int batchSize) {
        this.store = store;
        this.jobId = jobId;
        this.clock = clock;
        this.retention = retention;
        this.batchSize = batchSize;
    }

    /** Opens and registers the log of a job. */
    static BuildLog open(JobStore store, String jobId, Clock clock, LogRetention retention, int batchSize) {
        BuildLog b = new BuildLog(store, jobId, clock, retention, batchSize);
        OPEN.put(jobId, b);
        return b;
    }

    /** @return the open log of a job, or null */
    static BuildLog find(String jobId) {
        return OPEN.get(jobId);
    }

    /** Writes every open log's buffer (the periodic flusher). */
    static void flushAll() {
        for (BuildLog b : OPEN.values()) {
            try {
                b.flush();
            } catch (RuntimeException e) {
                // The records stay buffered for the next flush; the build's own end reports a persistent failure.
                log.debug("flushing the log of {} failed: {}", b.jobId, e.toString());
            }
        }
    }

    String jobId() {
        return jobId;
    }

    /** Adds a record, subject to the retention; writes a full batch. Records after {@link #close} are dropped. */
    void append(Level level, String logger, String message) {
        synchronized (this) {
            List<LogEntry> full = null;
            if (closed) {
                return;
            }
            int n = kept.getOrDefault(level, 0);
            OptionalInt max = retention.maxLines(level);
            if (max.isPresent() && n >= max.getAsInt()) {
                dropped.merge(level, 1, Integer::sum);
                return;
            }
            kept.put(level, n + 1);
            String text = message == null ? "" : message;
            if (text.length() > MAX_MESSAGE_CHARS) {
                text = text.substring(0, MAX_MESSAGE_CHARS) + "… (truncated)";
            }
            buffer.add(new LogEntry(0, clock.instant(), level.name(), logger, text));
            if (buffer.size() >= batchSize) {
                full = take();
            }
            // Write while holding the lock: the store numbers records in arrival order, so batches must not overtake.
            try {
                write(full);
            } catch (RuntimeException e) {
                // Logging must not break the build: the batch stays buffered and is retried by the next write.
                log.debug("writing the log of {} failed: {}", jobId, e.toString());
            }
        }
    }

    /** Writes what is buffered. */
    synchronized void flush() {
        write(take());
    }

    /** Adds the "dropped" summary, writes everything and unregisters; later records are dropped. */
    synchronized void close() {
        if (closed) {
            return;
        }
        OPEN.remove(jobId, this);
        if (!dropped.isEmpty()) {
            StringBuilder s = new StringBuilder("log retention dropped");
            dropped.forEach((level, n) -> s.append(' ')
                    .append(n)
                    .append(' ')
                    .append(level)
                    .append(" lines (kept ")
                    .append(retention.maxLines(level).orElse(0))
                    .append(')'));
            buffer.add(new LogEntry(0, clock.instant(), Level.INFO.name(), Runner.class.getName(), s.toString()));
        }
        closed = true;
        write(take());
    }

    private List<LogEntry> take() {
        if (buffer.isEmpty()) {
            return null;
        }
        List<LogEntry> out = buffer;
        buffer = new ArrayList<>();
        return out;
    }

    private void write(List<LogEntry> batch) {
        if (batch == null) {
            return;
        }
        try {
            store.appendLogs(jobId, batch);
        } catch (RuntimeException e) {
            buffer.addAll(0, batch); // keep them for the next attempt rather than lose them
            throw e;
        }
    }
}
