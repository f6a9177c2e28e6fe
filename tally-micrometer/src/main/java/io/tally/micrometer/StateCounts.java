package io.tally.micrometer;

import io.micrometer.core.instrument.Clock;
import io.tally.JobState;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jobs per state behind the {@code tally.jobs} gauges, read from the store at most once per {@code maxAge}.
 *
 * <p>Why a cache: a registry reads each gauge on its own, so one scrape asks for the six states one after the other;
 * without it that is six {@code countByState()} queries (six GROUP BYs, or six round trips to Redis) per scrape, and
 * more with several scrapers. Within {@code maxAge} they all share one answer, so a scrape costs one query at most. A
 * failed query is cached too: during an outage a scrape shows gaps (NaN) after one failed query instead of waiting for
 * six time-outs.
 */
final class StateCounts {
    private static final Logger log = LoggerFactory.getLogger(StateCounts.class);

    private final Supplier<Map<JobState, Long>> source;
    private final long maxAgeNanos;
    private final Clock clock;

    private Map<JobState, Long> counts; // null after a failed read
    private long readAt;
    private boolean read;

    StateCounts(Supplier<Map<JobState, Long>> source, Duration maxAge, Clock clock) {
        this.source = source;
        this.maxAgeNanos = maxAge.toNanos();
        this.clock = clock;
    }

    /** @return the jobs in {@code state}, or NaN if the store did not answer */
    synchronized double count(JobState state) {
        long now = clock.monotonicTime();
        if (!read || now - readAt >= maxAgeNanos) {
            counts = readCounts();
            readAt = now;
            read = true;
        }
        return counts == null ? Double.NaN : counts.getOrDefault(state, 0L);
    }

    private Map<JobState, Long> readCounts() {
        try {
            return Map.copyOf(source.get());
        } catch (RuntimeException e) {
            // A scrape during a store outage shows a gap, not an error page.
            log.debug("jobs per state not read for the tally.jobs gauges", e);
            return null;
        }
    }
}
