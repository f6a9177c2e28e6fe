package io.tally.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tally.Job;
import io.tally.JobSpec;
import io.tally.OutcomeUnknownException;
import io.tally.StoreUnavailableException;
import io.tally.Tally;
import io.tally.testing.TestServices;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A connection lost while its COMMIT is on the way: the write may or may not have been applied, and the caller is told
 * so ({@link OutcomeUnknownException}) rather than given a plain "unavailable" that reads like "nothing happened". A
 * deferred trigger holds the COMMIT in the database long enough to end the connection at that moment.
 */
class OutcomeUnknownIT {
    private final String prefix =
            "ou_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10) + "_";

    @Test
    void aConnectionKilledDuringTheCommitGivesOutcomeUnknown() throws Exception {
        String pg = TestServices.postgresUrl();
        try (Tally tally = Tally.open(TestServices.withOption(pg, "tablePrefix=" + prefix));
                Connection admin = TestServices.connect(pg);
                Statement s = admin.createStatement()) {
            Job job = tally.create(JobSpec.builder().name("j").start(true).build());
            s.execute("CREATE FUNCTION " + prefix + "slow_commit() RETURNS trigger LANGUAGE plpgsql AS"
                    + " $$ BEGIN PERFORM pg_sleep(30); RETURN NULL; END $$");
            s.execute("CREATE CONSTRAINT TRIGGER " + prefix + "slow AFTER UPDATE ON " + prefix + "jobs"
                    + " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION " + prefix + "slow_commit()");

            CompletableFuture<Void> write = CompletableFuture.runAsync(job::recordSuccess);
            int pid = await().atMost(Duration.ofSeconds(20)).until(() -> sleepingBackend(s), p -> p > 0);
            s.execute("SELECT pg_terminate_backend(" + pid + ")");

            ExecutionException failed = org.assertj.core.api.Assertions.catchThrowableOfType(
                    () -> write.get(30, TimeUnit.SECONDS), ExecutionException.class);
            assertThat(failed.getCause())
                    .isInstanceOf(OutcomeUnknownException.class)
                    .isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("may or may not have been applied");
        } finally {
            TestServices.dropTables(pg, prefix);
            try (Connection c = TestServices.connect(pg);
                    Statement s = c.createStatement()) {
                s.execute("DROP FUNCTION IF EXISTS " + prefix + "slow_commit()");
            }
        }
    }

    /** @return the pid of the backend sleeping in the trigger, or 0 */
    private static int sleepingBackend(Statement s) throws Exception {
        try (ResultSet rs = s.executeQuery(
                "SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND pid <> pg_backend_pid()")) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }
}
