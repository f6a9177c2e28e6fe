package io.tally.runner;

import io.tally.JobQuery;
import io.tally.JobSnapshot;
import io.tally.JobState;
import io.tally.Page;
import io.tally.Tally;
import io.tally.store.JobRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads a definition's builds from the store, newest first. A build is a job named after its definition whose
 * metadata marks it as a build; other jobs of the same name are skipped.
 */
final class StoredBuilds {
    private static final int PAGE = 100;

    private StoredBuilds() {}

    /** @return up to {@code limit} builds of a definition, newest first, only those in {@code state} unless null */
    static List<JobRecord> newest(Tally tally, String definitionId, JobState state, int limit) {
        List<JobRecord> out = new ArrayList<>();
        JobQuery.Builder q = JobQuery.builder().name(definitionId).limit(Math.min(PAGE, Math.max(1, limit)));
        if (state != null) {
            q.state(state);
        }
        JobQuery query = q.build();
        while (out.size() < limit) {
            Page<JobSnapshot> page = tally.query(query);
            for (JobSnapshot s : page.items()) {
                JobRecord r = s.record();
                if (out.size() < limit && BuildMetadata.isBuild(r)) {
                    out.add(r);
                }
            }
            if (page.next().isEmpty()) {
                break;
            }
            query = query.toBuilder().cursor(page.next().get()).build();
        }
        return out;
    }

    /** @return the newest build that SUCCEEDED or FAILED; skipped and cancelled builds decide nothing */
    static Optional<JobRecord> latestDecisive(Tally tally, String definitionId) {
        JobQuery query = JobQuery.builder().name(definitionId).limit(PAGE).build();
        while (true) {
            Page<JobSnapshot> page = tally.query(query);
            for (JobSnapshot s : page.items()) {
                JobRecord r = s.record();
                if ((r.state() == JobState.SUCCEEDED || r.state() == JobState.FAILED) && BuildMetadata.isBuild(r)) {
                    return Optional.of(r);
                }
            }
            if (page.next().isEmpty()) {
                return Optional.empty();
            }
            query = query.toBuilder().cursor(page.next().get()).build();
        }
    }
}
