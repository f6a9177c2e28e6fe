package io.tally.runner;

import io.tally.Job;
import io.tally.JobSpec;
import io.tally.Reporter;
import io.tally.Tally;
import io.tally.TallyException;

/**
 * A named part of a build's progress: a child job of the build (or of another group) with its own total and a
 * throttled {@link Reporter}. The build's {@code progress()} is the roll-up of all its groups, however deep. Close it
 * (try-with-resources) to write its last counts and finish it.
 *
 * <pre>{@code
 * try (ProgressGroup pages = ctx.group("pages", urls.size())) {
 *     for (String u : urls) { fetch(u); pages.tick(); }
 * }
 * }</pre>
 */
public final class ProgressGroup implements AutoCloseable {
    private final Tally tally;
    private final Job job;
    private final Reporter reporter;

    ProgressGroup(Tally tally, String parentId, String name, long total) {
        this.tally = tally;
        this.job = tally.create(JobSpec.builder()
                .name(name)
                .parent(parentId)
                .total(total)
                .start(true)
                .build());
        this.reporter = job.reporter();
    }

    /** Counts one unit done. */
    public void tick() {
        reporter.tick();
    }

    /** Counts {@code n} units done. */
    public void tick(long n) {
        reporter.tick(n);
    }

    /** Counts one failed unit. */
    public void tickFailure() {
        reporter.tickFailure();
    }

    /** @return a nested group, a child of this one */
    public ProgressGroup group(String name, long total) {
        return new ProgressGroup(tally, job.id(), name, total);
    }

    /** @return the group's job */
    public Job job() {
        return job;
    }

    /** Writes the buffered counts and finishes the group's job (a no-op once it ended). */
    @Override
    public void close() {
        reporter.close();
        try {
            job.finish();
        } catch (TallyException alreadyEnded) {
            // Cancelled or swept meanwhile: its state stands.
        }
    }
}
