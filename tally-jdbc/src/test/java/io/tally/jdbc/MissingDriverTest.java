package io.tally.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.Tally;
import io.tally.TallyException;
import io.tally.testing.ClassPathWithout;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

/** A store opened by URL without its JDBC driver names the artifact that brings it. */
class MissingDriverTest {
    /** Opens an in-memory SQLite store and answers what happened. */
    public static class OpenSqlite implements Callable<String> {
        @Override
        public String call() {
            try (Tally tally = Tally.open("sqlite::memory:")) {
                return "opened";
            } catch (TallyException e) {
                return e.getClass().getSimpleName() + ": " + e.getMessage();
            }
        }
    }

    @Test
    void aMissingDriverNamesTheStoresArtifact() throws Exception {
        assertThat(ClassPathWithout.artifacts("sqlite-jdbc").call(OpenSqlite.class))
                .isEqualTo(
                        "StoreUnavailableException: the sqlite store needs org.sqlite.JDBC, which is not on the class"
                                + " path: add the Maven artifact io.tally:tally-sqlite, or its JDBC driver org.xerial:sqlite-jdbc"
                                + " beside io.tally:tally-jdbc");
    }
}
