package io.tally.runner;

import io.tally.JobSnapshot;
import io.tally.Tally;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Decides what to build and reports statuses: which definitions a request builds (dependency resolution), each
 * definition's {@link BuildStatus}, and which are OUTDATED. It only reads (the store, and which definitions this
 * runner is building now); {@link BuildScheduler} runs what it plans.
 */
final class BuildPlanner {
    private final Tally tally;
    private final DefinitionGraph graph;
    private final Set<String> building;

    /** @param building the definitions building in this runner now (a live view, read only) */
    BuildPlanner(Tally tally, DefinitionGraph graph, Set<String> building) {
        this.tally = tally;
        this.graph = graph;
        this.building = building;
    }

    /**
     * The definitions a request builds: the seeds, plus (when building dependencies) every transitive dependency that
     * is not built, failed or outdated, or depends on one that will be rebuilt. Dependencies already building in this
     * runner are left out: their running build is waited for instead.
     */
    Set<String> plan(List<String> seeds, boolean buildDependencies) {
        Set<String> plan = new LinkedHashSet<>(seeds);
        if (!buildDependencies) {
            return plan;
        }
        Set<String> candidates = new LinkedHashSet<>();
        for (String s : seeds) {
            candidates.addAll(graph.transitiveDependencies(s));
        }
        StatusInspector in = inspector();
        for (String d : graph.sorted(candidates)) {
            if (plan.contains(d) || building.contains(d)) {
                continue;
            }
            boolean depRebuilt =
                    graph.get(d).dependencies().stream().anyMatch(x -> plan.contains(x) || building.contains(x));
            BuildStatus s = in.status(d);
            if (depRebuilt || s == BuildStatus.NOT_BUILT || s == BuildStatus.FAILED || s == BuildStatus.OUTDATED) {
                plan.add(d);
            }
        }
        return plan;
    }

    BuildStatus status(String definitionId) {
        return inspector().status(definitionId);
    }

    /** @return the ids of every OUTDATED definition, in dependency order */
    List<String> outdated() {
        StatusInspector in = inspector();
        List<String> out = new ArrayList<>();
        for (String id : graph.order()) {
            if (in.status(id) == BuildStatus.OUTDATED) {
                out.add(id);
            }
        }
        return out;
    }

    Optional<JobSnapshot> latestSuccessful(String definitionId) {
        return inspector().latestSuccessful(definitionId);
    }

    /** @return a fresh inspector, for one question */
    StatusInspector inspector() {
        return new StatusInspector(tally, graph, building);
    }
}
