package io.tally.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.FailureReason;
import io.tally.JobError;
import io.tally.JobQuery;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.store.ItemUpdate;
import io.tally.store.JobRecord;
import io.tally.store.JobStore;
import io.tally.store.LogEntry;
import io.tally.store.NewJob;
import io.tally.store.PartStatus;
import io.tally.store.PartUpdate;
import io.tally.store.ProgressUpdate;
import io.tally.store.StoredItem;
import io.tally.store.Transition;
import io.tally.tck.StoreFixture;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tests of the SQL stores beyond the conformance kit, run against every dialect. */
interface JdbcExtrasContract extends StoreFixture {

    /** Text that breaks SQL built by concatenation, and text that a lax collation or encoding would change. */
    String NASTY = "'; DROP TABLE tally_jobs; -- \" \\ \\' %_ ` $1 ? :name ${p} /* */ \t\n\r ünï 𝄞 😀 trailing  ";

    @Test
    default void sqlMetacharactersInEveryStringFieldRoundTripUnchanged() {
        JobStore store = store();
        String json = "{\"k\": \""
                + NASTY.replace("\\", "\\\\")
                        .replace("\"", "\\\"")
                        .replace("\t", "\\t")
                        .replace("\n", "\\n")
                        .replace("\r", "\\r")
                + "\", \"n\":  1}";
        String id = "nasty-1:._x";
        JobRecord created = store.create(new NewJob(
                id, NASTY, NASTY, null, json, 0, true, List.of(), 0, Duration.ofMinutes(5), null, null, NASTY));
        assertThat(created.name()).isEqualTo(NASTY);
        JobRecord found = store.find(id).orElseThrow();
        assertThat(found.name()).isEqualTo(NASTY);
        assertThat(found.scope()).isEqualTo(NASTY);
        assertThat(found.metadataJson()).isEqualTo(json);
        assertThat(found.message()).isEqualTo(NASTY);

        store.await(store.record(
                id,
                new ProgressUpdate(
                        0,
                        0,
                        List.of(
                                new ItemUpdate(NASTY, Outcome.FAILURE, NASTY),
                                new ItemUpdate(NASTY.strip(), Outcome.SUCCESS, null)),
                        2,
                        NASTY + "!")));
        List<StoredItem> items = store.items(id, null, null, 10).items();
        assertThat(items)
                .containsExactlyInAnyOrder(
                        new StoredItem(NASTY, Outcome.FAILURE, NASTY),
                        new StoredItem(NASTY.strip(), Outcome.SUCCESS, null));
        assertThat(store.items(id, Outcome.FAILURE, null, 10).items())
                .extracting(StoredItem::key)
                .containsExactly(NASTY);
        JobRecord r = store.find(id).orElseThrow();
        assertThat(r.succeeded()).isEqualTo(1);
        assertThat(r.failed()).isEqualTo(1);
        assertThat(r.message()).isEqualTo(NASTY + "!");

        store.appendLogs(id, List.of(new LogEntry(0, clock().instant(), NASTY, NASTY, NASTY)));
        assertThat(store.logs(id, 0, 10)).containsExactly(new LogEntry(1, clock().instant(), NASTY, NASTY, NASTY));

        assertThat(store.query(JobQuery.builder().name(NASTY).build()).items())
                .extracting(JobRecord::id)
                .containsExactly(id);
        assertThat(store.query(JobQuery.builder().scope(NASTY).build()).items())
                .extracting(JobRecord::id)
                .containsExactly(id);
        assertThat(store.query(JobQuery.builder().name(NASTY.strip()).build()).items())
                .isEmpty();

        JobError error = new JobError(NASTY, NASTY, NASTY, FailureReason.ERROR);
        store.transition(id, Transition.move(JobState.FAILED, json, error));
        JobRecord failed = store.find(id).orElseThrow();
        assertThat(failed.error()).isEqualTo(error);
        assertThat(failed.resultJson()).isEqualTo(json);

        String parts = "nasty-parts";
        store.create(new NewJob(parts, "p", null, id, "{}", 2, false, List.of(json, "{}"), 0, null, null, null, null));
        assertThat(store.partPayload(parts, 0)).contains(json);
        store.await(store.recordParts(parts, List.of(new PartUpdate(1, Outcome.FAILURE, NASTY, false))));
        assertThat(store.parts(parts, PartStatus.FAILED, -1, 10)).containsExactly(1);
        assertThat(store.query(JobQuery.builder().parent(id).build()).items())
                .extracting(JobRecord::id)
                .containsExactly(parts);
    }

    @Test
    default void theSchemaIsAtTheLatestVersion() {
        JdbcJobStore jdbc = (JdbcJobStore) store();
        List<Dialect.Migration> shipped = jdbc.dialect().migrations();
        int latest = shipped.get(shipped.size() - 1).version();
        assertThat(latest).isEqualTo(shipped.size()); // (numbered 1, 2, … without gaps)
        assertThat(jdbc.schemaVersion()).isEqualTo(latest);
        assertThat(jdbc.migrate()).isEqualTo(latest);
    }
}
