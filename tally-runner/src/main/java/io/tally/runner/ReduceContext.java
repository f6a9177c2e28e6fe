package io.tally.runner;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.slf4j.Logger;

/** What a {@link ReduceFunction} sees: one result per succeeded part, the failed (tolerated) parts, a logger. */
public final class ReduceContext {
    private final String jobId;
    private final SortedMap<Integer, JsonNode> results;
    private final List<Integer> failedParts;
    private final Logger log;

    ReduceContext(String jobId, SortedMap<Integer, JsonNode> results, List<Integer> failedParts, Logger log) {
        this.jobId = jobId;
        this.results = results;
        this.failedParts = List.copyOf(failedParts);
        this.log = log;
    }

    /** @return the map-reduce job */
    public String jobId() {
        return jobId;
    }

    /** @return the results of the succeeded parts in part order, converted to {@code type} */
    public <T> List<T> results(Class<T> type) {
        List<T> out = new ArrayList<>(results.size());
        for (Map.Entry<Integer, JsonNode> e : results.entrySet()) {
            out.add(RunnerJson.convert("result of part " + e.getKey(), e.getValue(), type));
        }
        return out;
    }

    /** @return the results of the succeeded parts by part number, converted to {@code type} */
    public <T> Map<Integer, T> resultsByPart(Class<T> type) {
        Map<Integer, T> out = new LinkedHashMap<>();
        for (Map.Entry<Integer, JsonNode> e : results.entrySet()) {
            out.put(e.getKey(), RunnerJson.convert("result of part " + e.getKey(), e.getValue(), type));
        }
        return out;
    }

    /** @return the parts that failed (at most {@code toleratedFailures}) */
    public List<Integer> failedParts() {
        return failedParts;
    }

    /** @return a logger whose records are stored with the reduce job */
    public Logger log() {
        return log;
    }
}
