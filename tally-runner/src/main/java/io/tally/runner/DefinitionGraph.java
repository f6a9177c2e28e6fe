package io.tally.runner;

import io.tally.InvalidInputException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The dependency graph of a runner's definitions: a DAG checked when definitions are added, in topological order. */
final class DefinitionGraph {
    private final Map<String, Definition> defs;
    private final List<String> order;
    private final Map<String, Integer> position = new HashMap<>();
    private final Map<String, List<String>> dependents = new HashMap<>();

    DefinitionGraph(Map<String, Definition> defs) {
        this.defs = new LinkedHashMap<>(defs);
        for (Definition d : defs.values()) {
            for (String dep : d.dependencies()) {
                if (!defs.containsKey(dep)) {
                    throw new InvalidInputException(
                            "dependsOn", "definition " + d.id() + " depends on unknown definition " + dep);
                }
                dependents.computeIfAbsent(dep, k -> new ArrayList<>()).add(d.id());
            }
        }
        this.order = topologicalOrder(this.defs);
        for (int i = 0; i < order.size(); i++) {
            position.put(order.get(i), i);
        }
    }

    /**
     * Rejects a cycle among the definitions known so far. A cycle can only close when its last member is defined, so
     * checking after each definition rejects it at the definition that closes it.
     */
    static void checkAcyclic(Map<String, Definition> defs) {
        topologicalOrder(defs);
    }

    /** Depth-first order, dependencies first; unknown dependencies are ignored here (checked when built). */
    private static List<String> topologicalOrder(Map<String, Definition> defs) {
        List<String> out = new ArrayList<>();
        Set<String> done = new HashSet<>();
        for (String id : defs.keySet()) {
            visit(id, defs, done, new LinkedHashSet<>(), out);
        }
        return out;
    }

    private static void visit(
            String id, Map<String, Definition> defs, Set<String> done, LinkedHashSet<String> path, List<String> out) {
        if (done.contains(id) || !defs.containsKey(id)) {
            return;
        }
        if (!path.add(id)) {
            List<String> cycle = new ArrayList<>(path);
            cycle = cycle.subList(cycle.indexOf(id), cycle.size());
            throw new InvalidInputException("dependsOn", "dependency cycle: " + String.join(" → ", cycle) + " → " + id);
        }
        for (String dep : defs.get(id).dependencies()) {
            visit(dep, defs, done, path, out);
        }
        path.remove(id);
        done.add(id);
        out.add(id);
    }

    Definition get(String id) {
        Definition d = defs.get(id);
        if (d == null) {
            throw new InvalidInputException("definition", "no definition '" + id + "'; known: " + defs.keySet());
        }
        return d;
    }

    boolean contains(String id) {
        return defs.containsKey(id);
    }

    Collection<Definition> all() {
        return defs.values();
    }

    /** @return every definition, each after all it depends on */
    List<String> order() {
        return order;
    }

    /** @return the definitions that depend on {@code id} directly */
    List<String> dependentsOf(String id) {
        return dependents.getOrDefault(id, List.of());
    }

    /** @return everything {@code id} depends on, directly or not, in topological order */
    List<String> transitiveDependencies(String id) {
        Set<String> seen = new HashSet<>();
        collect(id, seen, d -> get(d).dependencies());
        seen.remove(id);
        return sorted(seen);
    }

    /** @return everything that depends on {@code id}, directly or not, in topological order */
    List<String> transitiveDependents(String id) {
        Set<String> seen = new HashSet<>();
        collect(id, seen, this::dependentsOf);
        seen.remove(id);
        return sorted(seen);
    }

    List<String> sorted(Collection<String> ids) {
        List<String> out = new ArrayList<>(ids);
        out.sort((a, b) -> Integer.compare(position.get(a), position.get(b)));
        return out;
    }

    private static void collect(String id, Set<String> seen, java.util.function.Function<String, List<String>> next) {
        if (seen.add(id)) {
            for (String n : next.apply(id)) {
                collect(n, seen, next);
            }
        }
    }
}
