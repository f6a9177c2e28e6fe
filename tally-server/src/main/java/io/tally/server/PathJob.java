package io.tally.server;

import io.javalin.http.Context;
import io.tally.Job;
import io.tally.JobNotFoundException;
import io.tally.JobSnapshot;
import io.tally.Tally;

/** The job a route's {@code {id}} path parameter names. */
final class PathJob {
    private PathJob() {}

    static String id(Context ctx) {
        return ctx.pathParam("id");
    }

    /**
     * @return a handle on the job, not read first (the operation itself finds the job); its operations throw {@link
     *     JobNotFoundException} when it does not exist
     */
    static Job handle(Tally tally, Context ctx) {
        return tally.handle(id(ctx));
    }

    /** @return the job's snapshot, read now; 404 when it does not exist */
    static JobSnapshot snapshot(Tally tally, Context ctx) {
        String id = id(ctx);
        return tally.snapshot(id).orElseThrow(() -> new JobNotFoundException(id));
    }
}
