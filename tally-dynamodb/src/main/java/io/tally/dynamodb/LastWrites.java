package io.tally.dynamodb;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The job items this process wrote last (the most recent {@value #WRITTEN} jobs): a step starts from its own last
 * write instead of reading the job, and the write's condition tells whether anyone wrote since.
 */
final class LastWrites {
    private static final int WRITTEN = 256;

    private final Map<String, JobItems.Stored> written =
            java.util.Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, JobItems.Stored> eldest) {
                    return size() > WRITTEN;
                }
            });

    /** @return the item this process wrote last for the job, or null; taken out (a write puts its own back) */
    JobItems.Stored remove(String id) {
        return written.remove(id);
    }

    /** Keeps the item just written for the job's next step. */
    void put(String id, JobItems.Stored item) {
        written.put(id, item);
    }
}
