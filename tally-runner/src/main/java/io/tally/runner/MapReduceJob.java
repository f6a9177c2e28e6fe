package io.tally.runner;

import io.tally.JobError;
import io.tally.JobSnapshot;
import io.tally.JobState;
import io.tally.Progress;
import io.tally.Tally;
import io.tally.store.LogEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A handle on a map-reduce job: the job with the parts, and its child job {@code <id>:reduce} that the reduce runs
 * as (created by the part completion that settled the job, so it exists at most once). Reads go to the store.
 */
public final class MapReduceJob {
    private final Tally tally;
    private final String id;

    MapReduceJob(Tally tally, String id) {
        this.tally = tally;
        this.id = id;
    }

    /** @return the id of the job with the parts */
    public String id() {
        return id;
    }

    /** @return the id of the reduce job */
    public String reduceJobId() {
        return reduceIdOf(id);
    }

    static String reduceIdOf(String jobId) {
        return jobId + ":reduce";
    }

    /** @return the job with the parts, read fresh */
    public JobSnapshot snapshot() {
        return tally.get(id).snapshot();
    }

    /** @return the reduce job, once the last part settled the job */
    public Optional<JobSnapshot> reduceSnapshot() {
        return tally.snapshot(reduceJobId());
    }

    /**
     * @return the state of the whole: the parts job's state until it settles (or fails), then the reduce job's
     *     (RUNNING while the reduce is about to start)
     */
    public JobState state() {
        JobState parts = snapshot().state();
        if (parts != JobState.SUCCEEDED) {
            return parts;
        }
        return reduceSnapshot().map(JobSnapshot::state).orElse(JobState.RUNNING);
    }

    /** @return the parts' progress */
    public Progress progress() {
        return snapshot().progress();
    }

    /** Waits until {@link #state()} is terminal (polling the store). @return this */
    public MapReduceJob await() {
        Waiter.until(() -> state().isTerminal(), null);
        return this;
    }

    /** @return true if {@link #state()} became terminal within {@code timeout} (real time) */
    public boolean await(Duration timeout) {
        return Waiter.until(() -> state().isTerminal(), timeout);
    }

    /** @return the reduce's result */
    public <T> Optional<T> result(Class<T> type) {
        return reduceSnapshot()
                .filter(s -> s.state() == JobState.SUCCEEDED)
                .flatMap(JobSnapshot::resultJson)
                .map(json -> RunnerJson.convert("result", RunnerJson.tree(json), type));
    }

    /** @return why the job failed: the parts job's error, else the reduce job's */
    public Optional<JobError> error() {
        Optional<JobError> e = snapshot().error();
        return e.isPresent() ? e : reduceSnapshot().flatMap(JobSnapshot::error);
    }

    /**
     * @return the log of the parts job: records logged by part functions, and one {@code RESULT} record per stored part
     *     result (logger {@code tally.part.N})
     */
    public List<LogEntry> logs() {
        return logsOf(tally, id);
    }

    /** @return the log of the reduce job */
    public List<LogEntry> reduceLogs() {
        return reduceSnapshot().isPresent() ? logsOf(tally, reduceJobId()) : List.of();
    }

    static List<LogEntry> logsOf(Tally tally, String jobId) {
        List<LogEntry> out = new ArrayList<>();
        long after = 0;
        while (true) {
            List<LogEntry> page = tally.get(jobId).logs(after, 1000);
            out.addAll(page);
            if (page.size() < 1000) {
                return out;
            }
            after = page.get(page.size() - 1).seq();
        }
    }

    @Override
    public String toString() {
        return "MapReduceJob{" + id + "}";
    }
}
