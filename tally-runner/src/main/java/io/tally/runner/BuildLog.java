package io.tally.runner;

import io.tally.Job;
import io.tally.store.LogEntry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The log of one running build (or map-reduce job): collects records from any thread, applies the retention, and
 * writes them to the store in batches with {@link Job#log(List)} — when a batch is full, when the runner's
 * flusher passes (about once a second, so a long build's log can be followed live), and when the build ends.
 *
 * <p>Open logs are registered by job id so that the appender, which only sees the MDC, can find them.
 */
final class BuildLog {
    /** Longest message kept; a runaway log line must not exceed what a store accepts for one record. */
    static final int MAX_MESSAGE_CHARS = 32 * 1024;

    private static final Logger log = LoggerFactory.getLogger(BuildLog.class);
    private static final Map<String, BuildLog> OPEN = new ConcurrentHashMap<>();

    private final Job job;
    private final String jobId;
    private final Clock clock;
    private final LogRetention retention;
    private final int batchSize;
    private final Map<Level, Integer> kept = new EnumMap<>(Level.class);
    private final Map<Level, Integer> dropped = new EnumMap<>(Level.class);
    /** Held while writing to the store: one writer at a time, so batches keep their order. */
    private final ReentrantLock writing = new ReentrantLock();

    private List<LogEntry> buffer = new ArrayList<>();
    private boolean closed;

    private BuildLog(Job job, Clock clock, LogRetention retention, int batchSize) {
        this.job = job;
        this.jobId = job.id();
        this.clock = clock;
        this.retention = retention;
        this.batchSize = batchSize;
    }

    /** Opens and registers the log of a job. */
    static BuildLog open(Job job, Clock clock, LogRetention retention, int batchSize) {
        BuildLog b = new BuildLog(job, clock, retention, batchSize);
        OPEN.put(job.id(), b);
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

    /**
     * Adds a record, subject to the retention; writes a full batch unless another thread is writing this log (it, or
     * the next flush, writes the rest). Records after {@link #close} are dropped.
     */
    void append(Level level, String logger, String message) {
        boolean full;
        synchronized (this) {
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
            full = buffer.size() >= batchSize;
        }
        if (full && writing.tryLock()) {
            try {
                writeBuffered();
            } catch (RuntimeException e) {
                // Logging must not break the build: the batch stays buffered and is retried by the next write.
                log.debug("writing the log of {} failed: {}", jobId, e.toString());
            } finally {
                writing.unlock();
            }
        }
    }

    /** Writes what is buffered. */
    void flush() {
        writing.lock();
        try {
            writeBuffered();
        } finally {
            writing.unlock();
        }
    }

    /** Adds the "dropped" summary, writes everything and unregisters; later records are dropped. */
    void close() {
        writing.lock();
        try {
            synchronized (this) {
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
                    buffer.add(
                            new LogEntry(0, clock.instant(), Level.INFO.name(), Runner.class.getName(), s.toString()));
                }
                closed = true;
            }
            writeBuffered();
        } finally {
            writing.unlock();
        }
    }

    /**
     * Writes the buffer batch by batch; called holding {@link #writing}, which keeps batches in arrival order (the
     * store numbers records as they come). The store is called without this log's monitor held: the store's own
     * logging may come back to {@link #append} on this or another thread, which must not wait for the write.
     */
    private void writeBuffered() {
        List<LogEntry> batch;
        while ((batch = take()) != null) {
            try {
                job.log(batch);
            } catch (RuntimeException e) {
                synchronized (this) {
                    buffer.addAll(0, batch); // keep them for the next attempt rather than lose them
                }
                throw e;
            }
        }
    }

    private synchronized List<LogEntry> take() {
        if (buffer.isEmpty()) {
            return null;
        }
        List<LogEntry> out = buffer;
        buffer = new ArrayList<>();
        return out;
    }
}
