package io.tally.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.InvalidInputException;
import io.tally.store.JobStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file that is not a SQLite database is refused at once, by name, and left as it was. */
class SqliteNotADatabaseTest {
    @TempDir
    Path dir;

    @Test
    void aTextFileIsRefusedAtOnceAndLeftAlone() throws Exception {
        Path notes = Files.writeString(dir.resolve("notes.txt"), "my shopping list\n");
        long started = System.nanoTime();

        assertThatThrownBy(() -> new JdbcJobStoreProvider().open("sqlite:" + notes, Clock.systemUTC()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining(notes + " is not a SQLite database");

        // (the driver alone finds out on the first statement, after the pool's attempts: 10 s and 10 ERROR lines)
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
        assertThat(Files.readString(notes)).isEqualTo("my shopping list\n");
    }

    @Test
    void anEmptyFileAndAMissingOneBecomeStores() throws Exception {
        Path empty = Files.createFile(dir.resolve("empty.db"));
        for (Path p : new Path[] {dir.resolve("missing.db"), empty}) {
            try (JobStore store = new JdbcJobStoreProvider().open("sqlite:" + p, Clock.systemUTC())) {
                assertThat(store.countByState()).isNotNull();
            }
        }
    }
}
