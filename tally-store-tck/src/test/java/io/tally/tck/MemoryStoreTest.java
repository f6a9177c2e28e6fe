package io.tally.tck;

import io.tally.store.JobStore;
import io.tally.store.memory.MemoryJobStore;
import java.time.Clock;

/** The in-memory reference store passes the whole kit. */
class MemoryStoreTest extends JobStoreTck {
    @Override
    protected JobStore openStore(Clock clock) {
        return new MemoryJobStore(clock);
    }
}
