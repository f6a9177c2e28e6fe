package io.tally.redis;

import io.tally.store.JobStore;
import io.tally.tck.JobStoreTck;
import io.tally.testing.TestServices;
import java.time.Clock;
import org.junit.jupiter.api.AfterEach;

/**
 * The whole conformance kit against Redis, default database, a fresh namespace per test; the fuzz tests with 64
 * concurrent callers and 100,000 parts.
 */
class RedisStoreIT extends JobStoreTck {
    private String namespace;

    @Override
    public int fuzzThreads() {
        return 64;
    }

    @Override
    public int fuzzParts() {
        return 100_000;
    }

    @Override
    protected JobStore openStore(Clock clock) {
        String ns = RedisTestSupport.freshNamespace();
        JobStore store = RedisTestSupport.open(TestServices.redisUrlUnchecked(), ns, clock);
        namespace = ns;
        return store;
    }

    @AfterEach
    void dropNamespace() {
        if (namespace != null) {
            RedisTestSupport.cleanUp(TestServices.redisUrlUnchecked(), namespace);
        }
    }
}
