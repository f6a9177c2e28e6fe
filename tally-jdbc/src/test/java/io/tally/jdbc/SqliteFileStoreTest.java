package io.tally.jdbc;

import io.tally.store.JobStore;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.io.TempDir;

/** The conformance kit against SQLite on a fresh file per test. */
class SqliteFileStoreTest extends io.tally.tck.JobStoreTck implements JdbcExtrasContract {
    @TempDir
    Path dir;

    @Override
    protected JobStore openStore(Clock clock) {
        return new JdbcJobStoreProvider().open("sqlite:" + dir.resolve("tally.db"), clock);
    }
}
