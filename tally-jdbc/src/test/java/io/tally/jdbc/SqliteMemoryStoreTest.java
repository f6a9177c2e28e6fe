package io.tally.jdbc;

import io.tally.store.JobStore;
import java.time.Clock;

/** The conformance kit against a private in-memory SQLite database per test. */
class SqliteMemoryStoreTest extends io.tally.tck.JobStoreTck implements JdbcExtrasContract {
    @Override
    protected JobStore openStore(Clock clock) {
        return new JdbcJobStoreProvider().open("sqlite::memory:", clock);
    }
}
