package io.tally.micrometer;

import java.nio.file.Path;

/** {@link TallyMetricsContract} on the in-memory store. */
class MemoryStoreMetricsTest extends TallyMetricsContract {
    @Override
    String storeUrl(Path dir) {
        return "memory:";
    }
}
