package io.tally.store;

import io.tally.JobError;
import io.tally.JobState;
import io.tally.Outcome;
import java.time.Instant;

/**
 * The fields of a job one call may change: copied from the stored record, changed by {@link JobRules}, built back into
 * a record. It holds the arithmetic every rule shares — auto-start, moving an outcome, the rate fold, lease renewal,
 * finishing. Fields are open to the rules on purpose: a scratch pad, not a value that travels.
 */
final class JobChange {
    /** See {@link JobRecord}. */
    final JobRecord base;
    /** See {@link JobRecord}. */
    JobState state;
    /** See {@link JobRecord}. */
    long total;
    /** See {@link JobRecord}. */
    long succeeded;
    /** See {@link JobRecord}. */
    long failed;
    /** See {@link JobRecord}. */
    boolean settled;
    /** See {@link JobRecord}. */
    Instant startedAt;
    /** See {@link JobRecord}. */
    Instant updatedAt;
    /** See {@link JobRecord}. */
    Instant finishedAt;
    /** See {@link JobRecord}. */
    Instant deadline;
    /** See {@link JobRecord}. */
    Instant leaseUntil;
    /** See {@link JobRecord}. */
    Instant retainUntil;
    /** See {@link JobRecord}. */
    String result;
    /** See {@link JobRecord}. */
    JobError error;
    /** See {@link JobRecord}. */
    String message;
    /** See {@link JobRecord}. */
    Double rate;
    /** See {@link JobRecord}. */
    Instant rateAt;
    /** See {@link JobRecord}. */
    long rateAcc;

    /** @param r the stored record to start from */
    JobChange(JobRecord r) {
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
    void autoStart(Instant now) {
        if (state == JobState.PENDING) {
            state = JobState.RUNNING;
            startedAt = now;
            deadline = JobRules.plus(now, base.timeout());
            leaseUntil = JobRules.plus(now, base.heartbeat());
            rateAt = now;
        }
        updatedAt = now;
    }

    /**
     * Counts a unit (item or part) whose outcome goes from {@code before} (null: none yet) to {@code after}.
     *
     * @return 1 if the unit is newly done (it had no outcome), else 0
     */
    long move(Outcome before, Outcome after) {
        if (before == after) {
            return 0;
        }
        if (before == Outcome.SUCCESS) {
            succeeded--;
        } else if (before == Outcome.FAILURE) {
            failed--;
        }
        if (after == Outcome.SUCCESS) {
            succeeded++;
        } else {
            failed++;
        }
        return before == null ? 1 : 0;
    }

    /** Folds {@code units} into the rate and renews the lease: progress is a sign of life. */
    void progress(long units, Instant now) {
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
    void finish(JobState to, Instant now) {
        state = to;
        finishedAt = now;
        updatedAt = now;
        deadline = null;
        leaseUntil = null;
        retainUntil = JobRules.plus(now, base.retainFor());
    }

    /** @return the record with the changes applied */
    JobRecord build() {
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
}
