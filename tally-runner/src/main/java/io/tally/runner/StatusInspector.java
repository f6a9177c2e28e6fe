package io.tally.runner;

import io.tally.JobSnapshot;
import io.tally.JobState;
import io.tally.Tally;
import io.tally.store.JobRecord;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Answers one question about build statuses, memoizing store reads for its duration: a status is computed from the
 * store each time it is asked, and one question (say, {@link Runner#outdated()}) reads each build at most once. Make a
 * new one per question; it is not thread-safe.
 */
final class StatusInspector {
    private final Tally tally;
    private final DefinitionGraph graph;
    private final Set<String> building;
    private final Map<String, Optional<JobSnapshot>> latest = new HashMap<>();
    private final Map<String, Boolean> outdated = new HashMap<>();

    /** @param building the definitions building in this runner now (a live view) */
    StatusInspector(Tally tally, DefinitionGraph graph, Set<String> building) {
        this.tally = tally;
        this.graph = graph;
        this.building = building;
    }

    /**
     * BUILDING while this runner builds it or a build is RUNNING or PENDING in the store; else from the latest
     * decisive build: none NOT_BUILT, FAILED, or SUCCEEDED unless {@link #isOutdated outdated}.
     */
    BuildStatus status(String id) {
        if (building.contains(id)
                || !StoredBuilds.newest(tally, id, JobState.RUNNING, 1).isEmpty()
                || !StoredBuilds.newest(tally, id, JobState.PENDING, 1).isEmpty()) {
            return BuildStatus.BUILDING;
        }
        Optional<JobRecord> decisive = StoredBuilds.latestDecisive(tally, id);
        if (decisive.isEmpty()) {
            return BuildStatus.NOT_BUILT;
        }
        if (decisive.get().state() == JobState.FAILED) {
            return BuildStatus.FAILED;
        }
        return isOutdated(graph.get(id), decisive.get()) ? BuildStatus.OUTDATED : BuildStatus.SUCCEEDED;
    }

    /** @return the newest successful build of a definition */
    Optional<JobSnapshot> latestSuccessful(String id) {
        return latest.computeIfAbsent(
                id,
                k -> StoredBuilds.newest(tally, k, JobState.SUCCEEDED, 1).stream()
                        .findFirst()
                        .flatMap(r -> tally.snapshot(r.id())));
    }

    /**
     * A succeeded build is outdated when its fingerprint no longer matches the definition (parameters, version), or
     * when for some dependency the latest successful build is not the pinned one, or that build is itself outdated —
     * so a newer build anywhere upstream is seen, however deep.
     */
    boolean isOutdated(Definition def, JobRecord build) {
        Boolean known = outdated.get(build.id());
        if (known != null) {
            return known;
        }
        BuildMetadata meta = BuildMetadata.of(build);
        boolean result = !RunnerJson.fingerprint(def.params(), def.version(), meta.pinned())
                .equals(meta.fingerprint());
        for (String x : def.dependencies()) {
            if (result) {
                break;
            }
            String pin = meta.pinned().get(x);
            Optional<JobSnapshot> newest = latestSuccessful(x);
            result = pin == null
                    || newest.isEmpty()
                    || !newest.get().id().equals(pin)
                    || isOutdated(graph.get(x), newest.get().record());
        }
        outdated.put(build.id(), result);
        return result;
    }
}
