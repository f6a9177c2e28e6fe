package io.tally.dynamodb;

import io.tally.store.JobStore;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;

/**
 * The conformance kit against a DynamoDB-compatible server (dynalite): every test in a namespace of its own in one
 * table of the class, so no test waits for a table to be created; the table is dropped at the end.
 */
class DynamoDbStoreIT extends io.tally.tck.JobStoreTck {
    private static final String PREFIX = "tck_";

    @Override
    protected JobStore openStore(Clock clock) {
        return new DynamoDbJobStoreProvider().open(isolatedUrl(), clock);
    }

    /** @return the test server's URL with the kit's table and a fresh namespace */
    static String isolatedUrl() {
        return Dynalite.isolatedUrl(PREFIX);
    }

    @AfterAll
    static void dropTable() {
        Dynalite.dropTable(PREFIX);
    }

    @Override
    public int fuzzThreads() {
        return 16;
    }
}
