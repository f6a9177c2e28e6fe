package io.tally.dynamodb;

import io.tally.InvalidInputException;
import io.tally.JobNotFoundException;
import io.tally.OutcomeUnknownException;
import io.tally.StoreUnavailableException;
import io.tally.dynamodb.JobQueues.Call;
import io.tally.store.Applied;
import io.tally.store.ItemUpdate;
import io.tally.store.JobRules;
import io.tally.store.JobWrite;
import io.tally.store.LocalEventHub;
import io.tally.store.PartUpdate;
import io.tally.store.ProgressUpdate;
import io.tally.store.StoredItem;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;

/**
 * Every write to a job ({@code record}, {@code recordParts}, {@code transition}): the step a {@link JobQueues} drainer
 * runs for a batch of one job's calls, like the memory store's, with an optimistic version in place of the monitor:
 *
 * <ol>
 *   <li><b>read</b>: the job's item (a consistent read; on the first attempt, the item this process wrote last, when it
 *       has it): the record, its version, its part outcomes (two bits a part) and its pending keyed items; the stored
 *       outcome of each item key the calls name that is not pending, from its row (a consistent BatchGetItem);
 *   <li><b>rules</b>: {@link JobRules#apply} decides the job to store, the item and part writes, the events and each
 *       call's answer. This class decides none of it;
 *   <li><b>write</b>: one PutItem of the whole job item conditioned on {@code ver = :read AND gen = :gen}: the record,
 *       the version + 1, the part outcomes and the keyed items the rules listed (added to the pending map). The settle
 *       is in it: the call that records the last part claims {@code settled} in the same conditional write, so of two
 *       writers that read the same version exactly one lands and the other re-reads and finds the job settled;
 *   <li>on a failed condition (another process wrote the job) the step is read and decided again, a bounded number
 *       of times; then the answers are given and the events published. A failed condition may also be this very
 *       write, sent again by the SDK after its answer was lost: the job item keeps the marks of its last writes, and a
 *       step that finds its own there is done ({@link #landed}).
 * </ol>
 */
final class JobWriter {
    private static final int MAX_ATTEMPTS = 200;

    private final Requests requests;
    private final DynamoDbClient client;
    private final String table;
    private final JobItems layout;
    private final KeyedItems keyedItems;
    private final JobRows jobRows;
    private final LastWrites written;
    private final LocalEventHub events;
    private final Clock clock;

    JobWriter(
            Requests requests,
            KeyedItems keyedItems,
            JobRows jobRows,
            LastWrites written,
            LocalEventHub events,
            Clock clock) {
        this.requests = requests;
        this.client = requests.client();
        this.table = requests.table();
        this.layout = requests.layout();
        this.keyedItems = keyedItems;
        this.jobRows = jobRows;
        this.written = written;
        this.events = events;
        this.clock = clock;
    }

    private Instant now() {
        return Instant.ofEpochMilli(clock.millis());
    }

    /** Runs {@code calls} as one step and answers each; never throws. */
    void steps(String id, List<Call> calls) {
        try {
            step(id, calls);
        } catch (RuntimeException e) {
            for (Call c : calls) {
                c.answer().completeExceptionally(e);
            }
        }
    }

    /** One step on a job: read, rules, one conditional write; again on a conflict (see the class comment). */
    private void step(String id, List<Call> calls) {
        List<JobWrite> writes = calls.stream().map(Call::write).toList();
        for (int attempt = 1; ; attempt++) {
            // the first attempt starts from this process's own last write of the job, if it has one; the write's
            // condition checks it is still the job's state (a decision that writes nothing is made on a read)
            JobItems.Stored cached = attempt == 1 ? written.remove(id) : null;
            JobItems.Stored s = cached != null ? cached : requests.read(id);
            if (s == null) {
                for (Call c : calls) {
                    c.answer().completeExceptionally(new JobNotFoundException(id));
                }
                return;
            }
            Map<String, StoredItem> rows = keyedItems.itemRows(id, s, writes);
            Applied a = JobRules.apply(
                    s.record(),
                    key -> {
                        JobItems.PendingItem p = s.pending().get(key);
                        StoredItem row = rows.get(key);
                        return p != null ? p.outcome() : row == null ? null : row.outcome();
                    },
                    part -> JobItems.partOutcome(s.partBits(), part),
                    writes,
                    now());
            if (!a.changed()) {
                if (cached != null) {
                    continue; // answered without a write: only a read may say so
                }
                finish(calls, a);
                return;
            }
            if (a.deleted()) {
                if (deleteJob(id, s)) {
                    jobRows.removeRows(id, s.gen());
                    finish(calls, a);
                    return;
                }
            } else {
                Map<String, JobItems.PendingItem> pending = new LinkedHashMap<>(s.pending());
                if (keyedItems.needsFlush(pending)) {
                    keyedItems.writeItemRows(id, s.gen(), pending);
                    pending.clear();
                }
                long version = s.version() + 1;
                for (ItemUpdate i : a.items()) {
                    StoredItem now =
                            pending.containsKey(i.key()) ? pending.get(i.key()).toStored(i.key()) : rows.get(i.key());
                    if (now == null || now.outcome() != i.outcome() || !Objects.equals(now.reason(), i.reason())) {
                        // (an item recorded again as it is stored changes nothing: no entry, no row write)
                        pending.put(i.key(), new JobItems.PendingItem(i.outcome(), i.reason(), version));
                    }
                }
                byte[] bits = s.partBits().clone();
                for (PartUpdate p : a.parts()) {
                    JobItems.setPart(bits, p.part(), p.outcome());
                }
                String mark = JobItems.newMark();
                List<String> marks = JobItems.withMark(s.marks(), mark);
                Map<String, AttributeValue> item = layout.encode(a.after(), version, s.gen(), bits, pending, marks);
                long size = JobItems.size(item);
                if (size > DynamoDbJobStore.MAX_ITEM_BYTES) {
                    tooLarge(id, calls, size);
                    return;
                }
                if (putJob(item, s) || landed(id, s, mark)) {
                    written.put(id, new JobItems.Stored(a.after(), version, s.gen(), bits, pending, marks));
                    finish(calls, a);
                    return;
                }
            }
            if (attempt >= MAX_ATTEMPTS) {
                throw new StoreUnavailableException("DynamoDB: job " + id + " kept changing under " + attempt
                        + " attempts to write it (other processes write it too often); nothing was written");
            }
            // another process wrote the job between the read and the write: back off a little, read again
            LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(Math.min(attempt, 20) * 1_000_000L) + 100_000L);
        }
    }

    /**
     * The job's item would pass DynamoDB's item limit: a batch is re-run call by call, so that only the call that
     * brings it there is refused.
     */
    private void tooLarge(String id, List<Call> calls, long size) {
        if (calls.size() > 1) {
            for (Call c : calls) {
                steps(id, List.of(c));
            }
            return;
        }
        calls.get(0)
                .answer()
                .completeExceptionally(new InvalidInputException(
                        calls.get(0).write() instanceof ProgressUpdate ? "items" : "job",
                        "the job's DynamoDB item would be " + size + " bytes, past the 400 KB DynamoDB holds (a "
                                + "result, error, message or keyed items too large for it); nothing was written"));
    }

    private void finish(List<Call> calls, Applied a) {
        a.events().forEach(events::publish);
        for (int i = 0; i < calls.size(); i++) {
            a.replies().get(i).complete(calls.get(i).answer(), Object.class);
        }
    }

    /**
     * A failed condition after a write that the SDK sent again (its first answer lost: a time-out, a dropped
     * connection, throttling) may be this very write, landed on the first try. The job item keeps the marks of its last
     * {@value JobItems#MARKS} writes: if this write's mark is there, it landed, and the step is done (re-applying the
     * calls would count them twice). A write that landed and was then followed by more than that many writes of other
     * processes before the second try would be taken for a conflict: that is the window left.
     */
    private boolean landed(String id, JobItems.Stored read, String mark) {
        JobItems.Stored now = requests.read(id);
        return now != null && now.gen().equals(read.gen()) && now.marks().contains(mark);
    }

    /** The step's one write: the whole job item, if no other writer changed the job since {@code read}. */
    private boolean putJob(Map<String, AttributeValue> item, JobItems.Stored read) {
        try {
            client.putItem(b -> b.tableName(table)
                    .item(item)
                    .conditionExpression("#ver = :ver AND #gen = :gen")
                    .expressionAttributeNames(Map.of("#ver", JobItems.VERSION, "#gen", JobItems.GEN))
                    .expressionAttributeValues(
                            Map.of(":ver", JobItems.n(read.version()), ":gen", JobItems.s(read.gen()))));
            return true;
        } catch (ConditionalCheckFailedException conflict) {
            return false;
        } catch (SdkClientException e) {
            throw new OutcomeUnknownException(
                    "DynamoDB: the write of job " + read.record().id() + " was sent and its answer lost: "
                            + e.getMessage(),
                    e);
        } catch (SdkException e) {
            throw Requests.unavailable(e);
        }
    }

    private boolean deleteJob(String id, JobItems.Stored read) {
        try {
            requests.call(() -> client.deleteItem(b -> b.tableName(table)
                    .key(layout.jobKey(id))
                    .conditionExpression("#ver = :ver AND #gen = :gen")
                    .expressionAttributeNames(Map.of("#ver", JobItems.VERSION, "#gen", JobItems.GEN))
                    .expressionAttributeValues(
                            Map.of(":ver", JobItems.n(read.version()), ":gen", JobItems.s(read.gen())))));
            return true;
        } catch (ConditionalCheckFailedException conflict) {
            return false;
        }
    }
}
