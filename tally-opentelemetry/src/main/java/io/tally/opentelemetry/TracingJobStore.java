package io.tally.opentelemetry;

import io.tally.store.ForwardingJobStore;
import io.tally.store.JobRecord;
import io.tally.store.JobStore;
import io.tally.store.NewJob;
import java.util.function.BiFunction;

/**
 * The store of a traced {@link io.tally.Tally}: every operation goes to the store underneath as it is, except that a
 * new job's metadata is first given the trace context. Why in {@code create} and not in {@code JobSpec}: the core
 * calls {@code create} on the creating thread, after validating the spec, whoever built the spec (an application, the
 * runner, the server's API).
 */
final class TracingJobStore extends ForwardingJobStore {
    private final BiFunction<NewJob, JobStore, String> metadata;

    /** @param metadata the metadata to store for a new job, given the job and the store underneath */
    TracingJobStore(JobStore store, BiFunction<NewJob, JobStore, String> metadata) {
        super(store);
        this.metadata = metadata;
    }

    @Override
    public JobRecord create(NewJob job) {
        String traced = metadata.apply(job, delegate);
        if (traced.equals(job.metadataJson())) {
            return delegate.create(job);
        }
        return delegate.create(new NewJob(
                job.id(),
                job.name(),
                job.scope(),
                job.parent(),
                traced,
                job.total(),
                job.start(),
                job.partPayloads(),
                job.toleratedFailures(),
                job.timeout(),
                job.heartbeat(),
                job.retainFor(),
                job.message()));
    }
}
