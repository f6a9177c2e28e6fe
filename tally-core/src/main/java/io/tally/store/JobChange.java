package io.tally.store;

import io.tally.InvalidInputException;
import io.tally.JobError;
import io.tally.JobState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The fields of a job an operation may change: copied from the stored record, changed by the operation's rules, built
 * back into the record it returns. Stores that compute the new state in Java (the memory store under the job's lock,
 * the SQL stores on the locked row) share this one copy of the arithmetic — auto-start, the rate fold, lease renewal,
 * finishing — so they cannot drift apart. Fields are public on purpose: this is a scratch pad for store code, not a
 * value that travels.
 */
public final class JobChange {
    /** See {@link JobRecord}. */
    public final JobRecord base;
    /** See {@link JobRecord}. */
    public JobState state;
    /** See {@link JobRecord}. */
    public long total;
    /** See {@link JobRecord}. */
    public long succeeded;
    /** See {@link JobRecord}. */
    public long failed;
    /** See {@link JobRecord}. */
    public boolean settled;
    /** See {@link JobRecord}. */
    public Instant startedAt;
    /** See {@link JobRecord}. */
    public Instant updatedAt;
    /** See {@link JobRecord}. */
    public Instant finishedAt;
    /** See {@link JobRecord}. */
    public Instant deadline;
    /** See {@link JobRecord}. */
    public Instant leaseUntil;
    /** See {@link JobRecord}. */
    public Instant retainUntil;
    /** See {@link JobRecord}. */
    public String result;
    /** See {@link JobRecord}. */
    public JobError error;
    /** See {@link JobRecord}. */
    public String message;
    /** See {@link JobRecord}. */
    public Double rate;
    /** See {@link JobRecord}. */
    public Instant rateAt;
    /** See {@link JobRecord}. */
    public long rateAcc;

    /** @param r the stored record to start from */
    public JobChange(JobRecord r) {
        base = r;
        state = r.state();
        total = r.total();
        succeeded = r.succeeded();
        failed = r.failed();
        settled = r.settled();
        startedAt = r.startedAt();
        updatedAt = r.updatedAt();
        finishedAt = r.finishedAt();
        deadline = r.deadline();
        leaseUntil = r.leaseUntil();
        retainUntil = r.retainUntil();
        result = r.resultJson();
        error = r.error();
        message = r.message();
        rate = r.rate();
        rateAt = r.rateAt();
        rateAcc = r.rateAcc();
    }

    /** A PENDING job starts: start time, deadline, lease and the rate window begin now. */
    public void autoStart(Instant now) {
        if (state == JobState.PENDING) {
            state = JobState.RUNNING;
            startedAt = now;
            deadline = plus(now, base.timeout());
            leaseUntil = plus(now, base.heartbeat());
            rateAt = now;
        }
        updatedAt = now;
    }

    /** Folds {@code units} into the rate and renews the lease: progress is a sign of life. */
    public void progress(long units, Instant now) {
        RateEstimator.State s = RateEstimator.fold(new RateEstimator.State(rate, rateAt, rateAcc), units, now);
        rate = s.rate();
        rateAt = s.rateAt();
        rateAcc = s.acc();
        updatedAt = now;
        if (state == JobState.RUNNING && base.heartbeat() != null) {
            leaseUntil = now.plus(base.heartbeat());
        }
    }

    /** Ends the job: finish time, retention; deadline and lease no longer apply. */
    public void finish(JobState to, Instant now) {
        state = to;
        finishedAt = now;
        updatedAt = now;
        deadline = null;
        leaseUntil = null;
        retainUntil = plus(now, base.retainFor());
    }

    /** @return the record with the changes applied */
    public JobRecord build() {
        JobRecord b = base;
        return new JobRecord(
                b.id(),
                b.name(),
                b.scope(),
                b.parent(),
                b.metadataJson(),
                state,
                total,
                succeeded,
                failed,
                b.parts(),
                b.toleratedFailures(),
                settled,
                b.createdAt(),
                startedAt,
                updatedAt,
                finishedAt,
                b.timeout(),
                b.heartbeat(),
                b.retainFor(),
                deadline,
                leaseUntil,
                retainUntil,
                result,
                error,
                message,
                rate,
                rateAt,
                rateAcc);
    }

    /**
     * The guards of {@link JobStore#record}, on the stored record: a finished job takes no progress, and a job with
     * parts takes it only through its parts.
     */
    public static void checkRecordable(JobRecord r, ProgressUpdate u) {
        if (r.state().isTerminal()) {
            throw new io.tally.JobFinishedException(r.id(), r.state());
        }
        if (r.hasParts() && (u.succeeded() > 0 || u.failed() > 0 || !u.items().isEmpty() || u.addTotal() > 0)) {
            throw new io.tally.InvalidInputException(
                    "part", "job " + r.id() + " has parts: record them with completePart/failPart");
        }
    }

    /**
     * The guard of {@link JobStore#recordParts} on part numbers: the error for the first part outside
     * {@code 0..parts-1} of a job with {@code parts} parts, or null if all are inside.
     */
    public static InvalidInputException partOutOfRange(String id, int parts, List<PartUpdate> updates) {
        for (PartUpdate p : updates) {
            if (p.part() < 0 || p.part() >= parts) {
                return partOutOfRange(id, parts, p.part());
            }
        }
        return null;
    }

    /** @return the error for part number {@code part} of a job with {@code parts} parts */
    public static InvalidInputException partOutOfRange(String id, int parts, long part) {
        return new InvalidInputException(
                "part",
                parts == 0 ? "job " + id + " has no parts" : "must be between 0 and " + (parts - 1) + ", was " + part);
    }

    /** @return the record of a job just created from {@code j} at {@code now} (RUNNING if it asked to start) */
    public static JobRecord created(NewJob j, Instant now) {
        JobState state = j.start() ? JobState.RUNNING : JobState.PENDING;
        Instant started = j.start() ? now : null;
        return new JobRecord(
                j.id(),
                j.name(),
                j.scope(),
                j.parent(),
                j.metadataJson(),
                state,
                j.total(),
                0,
                0,
                j.partPayloads().size(),
                j.toleratedFailures(),
                false,
                now,
                started,
                now,
                null,
                j.timeout(),
                j.heartbeat(),
                j.retainFor(),
                started == null ? null : plus(now, j.timeout()),
                started == null ? null : plus(now, j.heartbeat()),
                null,
                null,
                null,
                j.message(),
                null,
                started,
                0);
    }

    /** @return true if {@code r} is due for {@code kind} at {@code now}: the sweep's condition, re-checked on the row */
    public static boolean isDue(JobRecord r, SweepKind kind, Instant now) {
        return switch (kind) {
            case STALLED ->
                r.state() == JobState.RUNNING
                        && r.leaseUntil() != null
                        && r.leaseUntil().isBefore(now);
            case TIMEOUT ->
                !r.state().isTerminal() && r.deadline() != null && r.deadline().isBefore(now);
            case RETENTION ->
                r.state().isTerminal()
                        && r.retainUntil() != null
                        && r.retainUntil().isBefore(now);
        };
    }

    /** @return {@code t + d}, or null when {@code d} is null (the setting is off) */
    public static Instant plus(Instant t, Duration d) {
        return d == null ? null : t.plus(d);
    }
}
