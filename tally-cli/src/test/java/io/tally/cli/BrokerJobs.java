package io.tally.cli;

import io.tally.runner.PartContext;
import io.tally.runner.ReduceContext;
import java.util.List;
import java.util.Map;

/** The part and reduce of {@link WorkerViaBrokersIT}'s map-reduce, run by {@code tally worker} processes. */
public final class BrokerJobs {
    private BrokerJobs() {}

    /** A part: twice the part's number, and the pid of the worker that ran it. */
    public static Map<String, Long> part(PartContext ctx) {
        return Map.of(
                "twice",
                ((Number) ctx.payload().get("n")).longValue() * 2,
                "pid",
                ProcessHandle.current().pid());
    }

    /** The reduce: the results' count and sum, and how many workers ran parts. */
    public static Map<String, Long> reduce(ReduceContext ctx) {
        @SuppressWarnings({"unchecked", "rawtypes"})
        List<Map<String, Number>> results = (List) ctx.results(Map.class);
        return Map.of(
                "count", (long) results.size(),
                "sum",
                        results.stream()
                                .mapToLong(r -> r.get("twice").longValue())
                                .sum(),
                "workers",
                        results.stream()
                                .map(r -> r.get("pid").longValue())
                                .distinct()
                                .count());
    }
}
