package io.tally.spring;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code tally.*} properties. A bad value fails start-up with a message naming the property: the setters check
 * what they can alone (and name the property themselves, as the binder's message names only its last segment), and the
 * store URL is checked when the Tally opens it.
 */
@ConfigurationProperties("tally")
public class TallyProperties {
    /** The smallest sweep interval {@code Tally.Builder.sweepEvery} takes. */
    static final Duration MIN_SWEEP = Duration.ofMillis(10);

    /**
     * The store URL: memory:, sqlite:PATH, postgresql://user:password@host:port/db, mariadb://..., redis://... (the
     * store's module must be on the class path). Required unless the application defines its own Tally bean.
     */
    private String url;

    /**
     * How often this application sweeps the store (fails stalled and timed-out jobs, deletes expired ones); unset for
     * never. One sweeping process per store is enough, and any number is safe.
     */
    private Duration sweepEvery;

    private final MetricsSettings metrics = new MetricsSettings();

    private final RunnerSettings runner = new RunnerSettings();

    /** @return the store URL, null when not set */
    public String getUrl() {
        return url;
    }

    /**
     * @param url the store URL
     * @throws IllegalArgumentException if it is blank
     */
    public void setUrl(String url) {
        if (url != null && url.isBlank()) {
            throw new IllegalArgumentException("tally.url must not be blank");
        }
        this.url = url;
    }

    /** @return the sweep interval, null for no sweeper */
    public Duration getSweepEvery() {
        return sweepEvery;
    }

    /**
     * @param sweepEvery the sweep interval, null for no sweeper
     * @throws IllegalArgumentException if it is shorter than 10 ms (negative included)
     */
    public void setSweepEvery(Duration sweepEvery) {
        if (sweepEvery != null && sweepEvery.compareTo(MIN_SWEEP) < 0) {
            throw new IllegalArgumentException(
                    "tally.sweep-every must be at least 10ms (leave it unset for no sweeper), was " + sweepEvery);
        }
        this.sweepEvery = sweepEvery;
    }

    /** @return the settings of the Micrometer meters */
    public MetricsSettings getMetrics() {
        return metrics;
    }

    /** @return the settings of the Runner built from the application's definitions */
    public RunnerSettings getRunner() {
        return runner;
    }

    /** {@code tally.metrics.*}: the meters, registered when the application has a {@code MeterRegistry}. */
    public static class MetricsSettings {
        /**
         * How long one read of the jobs per state serves the tally.jobs gauges: a scrape reads six gauges, which share
         * one store query.
         */
        private Duration stateCountsMaxAge = Duration.ofSeconds(5);

        /** @return how long one read of the jobs per state is used */
        public Duration getStateCountsMaxAge() {
            return stateCountsMaxAge;
        }

        /**
         * @param maxAge how long one read of the jobs per state is used
         * @throws IllegalArgumentException if it is negative
         */
        public void setStateCountsMaxAge(Duration maxAge) {
            if (maxAge == null || maxAge.isNegative()) {
                throw new IllegalArgumentException(
                        "tally.metrics.state-counts-max-age must be zero or more, was " + maxAge);
            }
            this.stateCountsMaxAge = maxAge;
        }
    }

    /** {@code tally.runner.*}: the Runner built when the application defines {@code Definition} beans. */
    public static class RunnerSettings {
        /** Threads that run builds; unset for the runner's default (the processors, at least 2). */
        private Integer workerThreads;

        /** Whether a build's SLF4J logging is stored with it (when Logback is the backend). */
        private boolean captureLogs = true;

        /** @return the number of build threads, null for the runner's default */
        public Integer getWorkerThreads() {
            return workerThreads;
        }

        /**
         * @param workerThreads the number of build threads, null for the runner's default
         * @throws IllegalArgumentException if it is less than 1
         */
        public void setWorkerThreads(Integer workerThreads) {
            if (workerThreads != null && workerThreads < 1) {
                throw new IllegalArgumentException(
                        "tally.runner.worker-threads must be at least 1, was " + workerThreads);
            }
            this.workerThreads = workerThreads;
        }

        /** @return whether a build's logging is captured */
        public boolean isCaptureLogs() {
            return captureLogs;
        }

        /** @param captureLogs whether a build's logging is captured */
        public void setCaptureLogs(boolean captureLogs) {
            this.captureLogs = captureLogs;
        }
    }
}
