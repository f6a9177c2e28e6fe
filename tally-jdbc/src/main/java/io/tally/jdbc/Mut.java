package io.tally.jdbc;

import io.tally.JobError;
import io.tally.JobState;
import io.tally.store.JobRecord;
import io.tally.store.RateEstimator;
import java.time.Duration;
import java.time.Instant;

/**
 * The fields an operation may change, copied from the locked row and built back into the record the operation
 * returns; the same arithmetic as the reference store, so the two cannot drift apart.
 */
final class Mut {
    final JobRecord base;
    JobState state;
    long total;
    long succeeded;
    long failed;
    boolean settled;
    Instant startedAt;
    Instant updatedAt;
    Instant finishedAt;
    Instant deadline;
    Instant leaseUntil;
    Instant retainUntil;
    String result;
    JobError error;
    String message;
    Double rate;
    Instant rateAt;
    long rateAcc;

    Mut(JobRecord r) {
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
            deadline = plus(now, base.timeout());
            leaseUntil = plus(now, base.heartbeat());
            rateAt = now;
        }
        updatedAt = now;
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

    void finish(JobState to, Instant now) {
        state = to;
        finishedAt = now;
        updatedAt = now;
        deadline = null;
        leaseUntil = null;
        retainUntil = plus(now, base.retainFor());
    }

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

    static Instant plus(Instant t, Duration d) {
        return d == null ? null : t.plus(d);
    }
}
