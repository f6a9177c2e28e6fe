package io.tally.dynamodb;

import io.tally.store.JobStore;
import io.tally.testing.TestServices;
import java.time.Clock;
import java.util.UUID;

/**
 * The conformance kit against a DynamoDB-compatible server (dynalite): every test in a namespace of its own in one
 * shared table, so no test waits for a table to be created.
 */
class DynamoDbStoreIT extends io.tally.tck.JobStoreTck {
    @Override
    protected JobStore openStore(Clock clock) {
        return new DynamoDbJobStoreProvider().open(isolatedUrl(), clock);
    }

    /** @return the test server's URL with the kit's table and a fresh namespace */
    static String isolatedUrl() {
        return TestServices.withOption(
                TestServices.dynamodbUrl(),
                "table=tck_&namespace=t"
                        + UUID.randomUUID().toString().replace("-", "").substring(0, 12));
    }

    @Override
    public int fuzzThreads() {
        return 16;
    }
}
