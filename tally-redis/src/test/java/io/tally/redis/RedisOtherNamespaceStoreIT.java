package io.tally.redis;

import io.tally.store.JobStore;
import io.tally.tck.JobStoreTck;
import java.time.Clock;
import org.junit.jupiter.api.AfterEach;

/** The whole conformance kit again with a non-default namespace on database 15. */
class RedisOtherNamespaceStoreIT extends JobStoreTck {
    static final int DB = 15;
    private String namespace;

    @Override
    protected JobStore openStore(Clock clock) {
        String ns = "other." + RedisTestSupport.freshNamespace();
        JobStore store = RedisTestSupport.open(RedisTestSupport.url(DB), ns, clock);
        namespace = ns;
        return store;
    }

    @AfterEach
    void dropNamespace() {
        if (namespace != null) {
            RedisTestSupport.cleanUp(RedisTestSupport.url(DB), namespace);
        }
    }
}
