package io.tally.dynamodb;

import io.tally.EventType;
import io.tally.InvalidInputException;
import io.tally.JobExistsException;
import io.tally.store.Applied;
import io.tally.store.JobRecord;
import io.tally.store.JobRules;
import io.tally.store.LocalEventHub;
import io.tally.store.NewJob;
import io.tally.store.StoreEvent;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * A job's creation and its deletion: the job item with its part payload rows, each run as an operation of its own on
 * the job's queue, and the removal of a generation's rows (items, payloads, logs, the log counter).
 */
final class JobRows {
    private final Requests requests;
    private final DynamoDbClient client;
    private final String table;
    private final JobItems layout;
    private final LastWrites written;
    private final LocalEventHub events;
    private final Clock clock;

    JobRows(Requests requests, LastWrites written, LocalEventHub events, Clock clock) {
        this.requests = requests;
        this.client = requests.client();
        this.table = requests.table();
        this.layout = requests.layout();
        this.written = written;
        this.events = events;
        this.clock = clock;
    }

    private Instant now() {
        return Instant.ofEpochMilli(clock.millis());
    }

    /** The creation, run as an operation on the job's queue: CREATED is out before any later write of the job. */
    JobRecord createNow(NewJob j) {
        int parts = j.partPayloads().size();
        if (parts > DynamoDbJobStore.MAX_PARTS) {
            throw new InvalidInputException(
                    "parts",
                    "at most " + DynamoDbJobStore.MAX_PARTS
                            + " parts per job on the DynamoDB store (their outcomes live in the job's "
                            + "item, 400 KB at most), was " + parts + "; nothing was written");
        }
        Applied created = JobRules.create(j, now());
        JobRecord r = created.after();
        String gen = UUID.randomUUID().toString().substring(0, 8);
        byte[] bits = JobItems.newPartBits(parts);
        List<String> marks = List.of(JobItems.newMark());
        Map<String, AttributeValue> item = layout.encode(r, 1, gen, bits, Map.of(), marks);
        long size = JobItems.size(item);
        if (size > DynamoDbJobStore.MAX_CREATE_BYTES) {
            boolean metadata = JobItems.utf8(j.metadataJson()) * 2 > size;
            throw new InvalidInputException(
                    metadata ? "metadata" : "parts",
                    "the job's DynamoDB item would be " + size + " bytes, more than the "
                            + DynamoDbJobStore.MAX_CREATE_BYTES
                            + " a new job may take (DynamoDB items hold 400 KB; the rest is kept for the result, "
                            + "the error and pending items); nothing was written");
        }
        List<Map<String, AttributeValue>> rows = new ArrayList<>(parts);
        for (int p = 0; p < parts; p++) {
            Map<String, AttributeValue> row = new HashMap<>();
            row.put(JobItems.PK, JobItems.s(layout.pk(j.id())));
            row.put(JobItems.SK, JobItems.s(JobItems.partSk(gen, p)));
            row.put("pl", JobItems.s(j.partPayloads().get(p)));
            if (JobItems.size(row) > DynamoDbJobStore.MAX_ITEM_BYTES) {
                throw new InvalidInputException(
                        "parts", "part " + p + "'s payload is more than a DynamoDB item holds; nothing was written");
            }
            rows.add(row);
        }
        // the payloads first, under this creation's own generation, so that a job is never seen without them; a taken
        // id leaves them under a generation nobody reads, and they are removed again
        requests.batchWrite(rows.stream()
                .map(row ->
                        WriteRequest.builder().putRequest(pr -> pr.item(row)).build())
                .toList());
        try {
            requests.call(() -> client.putItem(b -> b.tableName(table)
                    .item(item)
                    .conditionExpression("attribute_not_exists(#pk)")
                    .expressionAttributeNames(Map.of("#pk", JobItems.PK))));
        } catch (ConditionalCheckFailedException taken) {
            JobItems.Stored there = requests.read(j.id());
            if (there == null || !there.gen().equals(gen)) {
                removeRows(j.id(), gen);
                throw new JobExistsException(j.id());
            }
            // our own creation: the SDK sent it again after an answer was lost, and the second try found it
        }
        written.put(j.id(), new JobItems.Stored(r, 1, gen, bits, Map.of(), marks));
        created.events().forEach(events::publish);
        return r;
    }

    /**
     * The delete, run as an operation on the job's queue: the job's item goes first (a DeleteItem that answers the
     * item it deleted, for the DELETED event); a write that read it before fails its condition and finds the job gone.
     * Then its rows, those of its generation only, so a job created again under the same id keeps its own.
     *
     * @return false if there was no job
     */
    boolean deleteNow(String id) {
        written.remove(id);
        DeleteItemResponse deleted;
        try {
            deleted = requests.call(() -> client.deleteItem(b -> b.tableName(table)
                    .key(layout.jobKey(id))
                    .conditionExpression("attribute_exists(#pk)")
                    .expressionAttributeNames(Map.of("#pk", JobItems.PK))
                    .returnValues(ReturnValue.ALL_OLD)));
        } catch (ConditionalCheckFailedException absent) {
            return false;
        }
        JobItems.Stored old = JobItems.decode(deleted.attributes());
        removeRows(id, old.gen());
        events.publish(StoreEvent.of(EventType.DELETED, old.record()));
        return true;
    }

    /** Deletes the rows of generation {@code gen} of a job (items, payloads, logs, the log counter). */
    void removeRows(String id, String gen) {
        List<WriteRequest> deletes = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            QueryResponse page = requests.call(() -> client.query(QueryRequest.builder()
                    .tableName(table)
                    .keyConditionExpression("#pk = :pk")
                    .expressionAttributeNames(Map.of("#pk", JobItems.PK, "#sk", JobItems.SK))
                    .expressionAttributeValues(Map.of(":pk", JobItems.s(layout.pk(id))))
                    .projectionExpression("#pk, #sk")
                    .exclusiveStartKey(from)
                    .build()));
            for (Map<String, AttributeValue> k : page.items()) {
                String sk = JobItems.str(k, JobItems.SK);
                int hash = sk.indexOf('#');
                if (hash > 0 && sk.startsWith(gen, hash + 1)) {
                    deletes.add(
                            WriteRequest.builder().deleteRequest(d -> d.key(k)).build());
                }
            }
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null);
        requests.batchWrite(deletes);
    }
}
