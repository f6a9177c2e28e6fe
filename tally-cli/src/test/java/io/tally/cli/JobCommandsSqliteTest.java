package io.tally.cli;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The shell worker's commands on a SQLite file. */
class JobCommandsSqliteTest extends JobCommandsContract {
    @TempDir
    Path dir;

    @Override
    String storeUrl() {
        return "sqlite:" + dir.resolve("tally.db");
    }
}
