package io.tally;

import com.fasterxml.jackson.databind.JsonNode;
import io.tally.internal.Json;
import io.tally.store.JobRecord;
import io.tally.store.RateEstimator;
import io.tally.store.RecordedProgress;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Everything about a job at one moment: identity, state, counters, timing, result or error, and (computed on first
 * use) the roll-up of its descendants. Immutable apart from that lazily computed roll-up.
 */
public final class JobSnapshot {
    private final JobRecord r;
    private final Progress progress;
    private final Supplier<Progress> rollupSource;
    private volatile Progress rollup;

    /**
     * @param record the stored job
     * @param now the time of the read, for rate and ETA
     * @param rollupSource computes the roll-up of the job and its descendants when first asked for
     */
    JobSnapshot(JobRecord record, Instant now, Supplier<Progress> rollupSource) {
        this.r = record;
        this.progress = progressOf(record, now);
        this.rollupSource = rollupSource;
    }

    static Progress progressOf(JobRecord r, Instant now) {
        return progressOf(RecordedProgress.of(r), now);
    }

    static Progress progressOf(RecordedProgress r, Instant now) {
        double rate = r.state() == JobState.RUNNING ? RateEstimator.read(r.rate(), now) : 0;
        return progressOf(r.total(), r.succeeded(), r.failed(), rate, r.state(), r.startedAt(), r.updatedAt());
    }

    static Progress progressOf(
            long total, long succeeded, long failed, double rate, JobState state, Instant startedAt, Instant updated) {
        long done = succeeded + failed;
        long pending = Math.max(0, total - done);
        double percent;
        if (state == JobState.SUCCEEDED) {
            percent = 100;
        } else if (total > 0) {
            percent = Math.min(100.0, done * 100.0 / total);
        } else {
            percent = 0;
        }
        Optional<Duration> eta = Optional.empty();
        if (!state.isTerminal() && total > 0 && rate > 0) {
            eta = Optional.of(Duration.ofMillis(Math.round(pending / rate * 1000)));
        }
        return new Progress(
                total, succeeded, failed, pending, percent, rate, eta, Optional.ofNullable(startedAt), updated);
    }

    /** @return the job id */
    public String id() {
        return r.id();
    }

    /** @return the job name */
    public String name() {
        return r.name();
    }

    /** @return the scope */
    public Optional<String> scope() {
        return Optional.ofNullable(r.scope());
    }

    /** @return the parent job's id */
    public Optional<String> parent() {
        return Optional.ofNullable(r.parent());
    }

    /** @return the metadata */
    public Map<String, Object> metadata() {
        return Json.toMap(r.metadataJson());
    }

    /** @return the metadata as JSON text */
    public String metadataJson() {
        return r.metadataJson();
    }

    /** @return the state */
    public JobState state() {
        return r.state();
    }

    /** @return the job's own progress */
    public Progress progress() {
        return progress;
    }

    /** @return the progress of this job plus all its descendants (sums of their counters and rates) */
    public Progress rollup() {
        Progress p = rollup;
        if (p == null) {
            p = rollupSource.get();
            rollup = p;
        }
        return p;
    }

    /** @return the amount of work, 0 when unknown */
    public long total() {
        return r.total();
    }

    /** @return units that succeeded */
    public long succeeded() {
        return r.succeeded();
    }

    /** @return units that failed */
    public long failed() {
        return r.failed();
    }

    /** @return units still pending */
    public long pending() {
        return r.pending();
    }

    /** @return the number of parts, 0 for a job without parts */
    public int parts() {
        return r.parts();
    }

    /** @return failed parts tolerated before the job fails */
    public int toleratedFailures() {
        return r.toleratedFailures();
    }

    /** @return true once the last part was claimed (the reduce ran or runs) */
    public boolean settled() {
        return r.settled();
    }

    /** @return creation time */
    public Instant createdAt() {
        return r.createdAt();
    }

    /** @return start time */
    public Optional<Instant> startedAt() {
        return Optional.ofNullable(r.startedAt());
    }

    /** @return last write time */
    public Instant updatedAt() {
        return r.updatedAt();
    }

    /** @return time it reached its terminal state */
    public Optional<Instant> finishedAt() {
        return Optional.ofNullable(r.finishedAt());
    }

    /** @return the execution deadline, while active */
    public Optional<Instant> deadline() {
        return Optional.ofNullable(r.deadline());
    }

    /** @return the heartbeat lease expiry, while running */
    public Optional<Instant> lease() {
        return Optional.ofNullable(r.leaseUntil());
    }

    /** @return when a finished job will be deleted */
    public Optional<Instant> retainUntil() {
        return Optional.ofNullable(r.retainUntil());
    }

    /** @return the execution time limit */
    public Optional<Duration> timeout() {
        return Optional.ofNullable(r.timeout());
    }

    /** @return the heartbeat lease length */
    public Optional<Duration> heartbeat() {
        return Optional.ofNullable(r.heartbeat());
    }

    /** @return the retention period */
    public Optional<Duration> retainFor() {
        return Optional.ofNullable(r.retainFor());
    }

    /** @return the result of a SUCCEEDED job */
    public Optional<JsonNode> result() {
        return Optional.ofNullable(r.resultJson()).map(Json::tree);
    }

    /**
     * @param type the class to convert the result to (with Jackson)
     * @return the result as {@code type}
     */
    public <T> Optional<T> result(Class<T> type) {
        return result().map(n -> Json.MAPPER.convertValue(n, type));
    }

    /** @return the result as JSON text */
    public Optional<String> resultJson() {
        return Optional.ofNullable(r.resultJson());
    }

    /** @return the error of a FAILED or CANCELLED job */
    public Optional<JobError> error() {
        return Optional.ofNullable(r.error());
    }

    /** @return the latest status line */
    public Optional<String> message() {
        return Optional.ofNullable(r.message());
    }

    /** @return the stored record behind this snapshot */
    public JobRecord record() {
        return r;
    }

    @Override
    public String toString() {
        return "Job{" + r.id() + " " + r.name() + " " + r.state() + " " + r.succeeded() + "+" + r.failed() + "/"
                + r.total() + "}";
    }
}
