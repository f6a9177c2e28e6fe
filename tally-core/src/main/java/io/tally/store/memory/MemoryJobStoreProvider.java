package io.tally.store.memory;

import io.tally.InvalidInputException;
import io.tally.store.JobStore;
import io.tally.store.JobStoreProvider;
import java.time.Clock;
import java.util.List;

/** Opens {@code memory:} stores: each URL opens a new, empty store that lives as long as it is open. */
public final class MemoryJobStoreProvider implements JobStoreProvider {
    @Override
    public boolean supports(String url) {
        return url.startsWith("memory:");
    }

    @Override
    public List<String> schemes() {
        return List.of("memory");
    }

    @Override
    public JobStore open(String url, Clock clock) {
        if (!url.equals("memory:") && !url.startsWith("memory:?") && !url.startsWith("memory://")) {
            throw new InvalidInputException("url", "expected memory:, was " + url);
        }
        return new MemoryJobStore(clock);
    }
}
