package io.tally.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a JMH JSON result file into the markdown table of {@code docs/benchmarks.md}, each Tally figure next to the
 * raw limit measured in the same run and their ratio.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.tally.bench.BenchReport result.json}
 */
public final class BenchReport {
    /** Which raw benchmark each Tally benchmark is compared with. */
    private static final Map<String, String> BASELINE = Map.of(
            "TickBenchmark.tick1Thread", "TickBenchmark.rawLongAdder1Thread",
            "TickBenchmark.tick2Threads", "TickBenchmark.rawLongAdder2Threads",
            "MemoryStoreBenchmark.recordSuccessAnonymous", "MemoryStoreBenchmark.rawComputeIncrement",
            "MemoryStoreBenchmark.recordSuccessKeyed", "MemoryStoreBenchmark.rawComputeIncrement",
            "MemoryStoreBenchmark.completePart", "MemoryStoreBenchmark.rawComputeIncrement");

    private BenchReport() {}

    /** @param args the JMH JSON result file */
    public static void main(String[] args) throws IOException {
        JsonNode results = new ObjectMapper().readTree(new File(args[0]));
        Map<String, double[]> scores = new LinkedHashMap<>();
        for (JsonNode r : results) {
            String name = r.get("benchmark").asText().replace("io.tally.bench.", "");
            JsonNode m = r.get("primaryMetric");
            if (r.get("mode").asText().equals("ss")) {
                // Single-shot batches: report units per second from the time one shot took.
                double shotSeconds = m.get("score").asDouble() / 1000.0;
                System.out.printf(
                        Locale.ROOT,
                        "`%s`: %,.0f parts/s (one shot of %,d calls in %.0f ms ± %.0f)%n%n",
                        name,
                        BatchPartsBenchmark.PARTS / shotSeconds,
                        r.get("measurementBatchSize").asInt(),
                        m.get("score").asDouble(),
                        m.get("scoreError").asDouble());
                continue;
            }
            scores.put(
                    name,
                    new double[] {m.get("score").asDouble(), m.get("scoreError").asDouble()});
        }
        System.out.println("| benchmark | ops/s | ± (99.9 %) | raw limit (same run) | raw ops/s | ratio |");
        System.out.println("|---|---:|---:|---|---:|---:|");
        for (Map.Entry<String, double[]> e : scores.entrySet()) {
            String base = BASELINE.get(e.getKey());
            if (base == null) {
                continue;
            }
            double[] s = e.getValue();
            double[] b = scores.get(base);
            System.out.printf(
                    Locale.ROOT,
                    "| `%s` | %,.0f | %,.0f | `%s` | %s | %s |%n",
                    e.getKey(),
                    s[0],
                    s[1],
                    base,
                    b == null ? "–" : String.format(Locale.ROOT, "%,.0f", b[0]),
                    b == null ? "–" : String.format(Locale.ROOT, "%.1f %%", 100 * s[0] / b[0]));
        }
    }
}
