package io.tally.redis;

import io.tally.store.JobStore;
import io.tally.tck.JobStoreTck;
import java.time.Clock;
import org.junit.jupiter.api.AfterEach;

/**
 * The whole conformance kit against the test Redis Cluster (three masters, three replicas; {@code scripts/services.sh}
 * starts it), a fresh namespace per test in the default 64 buckets, so a test's jobs are spread over every master; the
 * fuzz tests with 32 concurrent callers.
 */
class RedisClusterStoreIT extends JobStoreTck {
    private String namespace;

    @Override
    public int fuzzThreads() {
        return 32;
    }

    @Override
    protected JobStore openStore(Clock clock) {
        String ns = RedisTestSupport.freshNamespace();
        JobStore store = RedisTestSupport.openCluster(ns, clock);
        namespace = ns;
        return store;
    }

    @AfterEach
    void dropNamespace() {
        if (namespace != null) {
            RedisTestSupport.cleanUpCluster(namespace);
        }
    }
}
