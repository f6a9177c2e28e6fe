package io.tally.dynamodb;

import io.tally.store.LogEntry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * A job's log records: rows {@code l#gen#seq} in the job's partition, numbered by the job's log counter.
 */
final class JobLogs {
    private final Requests requests;
    private final DynamoDbClient client;
    private final String table;
    private final JobItems layout;

    JobLogs(Requests requests) {
        this.requests = requests;
        this.client = requests.client();
        this.table = requests.table();
        this.layout = requests.layout();
    }

    /**
     * Appends {@code entries}. The numbers come from the job's log counter ({@code n#gen}, an atomic {@code ADD} that
     * answers the new value): each append takes a range of its own, then writes its records.
     */
    void appendLogs(String id, List<LogEntry> entries) {
        if (entries.isEmpty()) {
            requests.readExisting(id);
            return;
        }
        JobItems.Stored s = requests.readExisting(id);
        long last = Long.parseLong(requests.call(() -> client.updateItem(b -> b.tableName(table)
                        .key(Map.of(
                                JobItems.PK,
                                JobItems.s(layout.pk(id)),
                                JobItems.SK,
                                JobItems.s(JobItems.logCounterSk(s.gen()))))
                        .updateExpression("ADD #n :n")
                        .expressionAttributeNames(Map.of("#n", "n"))
                        .expressionAttributeValues(Map.of(":n", JobItems.n(entries.size())))
                        .returnValues(ReturnValue.UPDATED_NEW)))
                .attributes()
                .get("n")
                .n());
        long seq = last - entries.size();
        List<WriteRequest> puts = new ArrayList<>();
        for (LogEntry e : entries) {
            seq++;
            Map<String, AttributeValue> row = new HashMap<>();
            row.put(JobItems.PK, JobItems.s(layout.pk(id)));
            row.put(JobItems.SK, JobItems.s(JobItems.logSk(s.gen(), seq)));
            row.put("seq", JobItems.n(seq));
            row.put("at", JobItems.n(e.at().toEpochMilli()));
            row.put("lv", JobItems.s(e.level()));
            if (e.logger() != null) {
                row.put("lg", JobItems.s(e.logger()));
            }
            row.put("m", JobItems.s(e.message()));
            puts.add(WriteRequest.builder().putRequest(p -> p.item(row)).build());
        }
        requests.batchWrite(puts);
    }

    List<LogEntry> logs(String id, long afterSeq, int limit) {
        JobItems.Stored s = requests.readExisting(id);
        List<LogEntry> out = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            int want = limit - out.size();
            QueryResponse page = requests.call(() -> client.query(QueryRequest.builder()
                    .tableName(table)
                    .keyConditionExpression("#pk = :pk AND #sk BETWEEN :lo AND :hi")
                    .expressionAttributeNames(Map.of("#pk", JobItems.PK, "#sk", JobItems.SK))
                    .expressionAttributeValues(Map.of(
                            ":pk", JobItems.s(layout.pk(id)),
                            ":lo", JobItems.s(JobItems.logSk(s.gen(), Math.max(0, afterSeq) + 1)),
                            ":hi", JobItems.s(JobItems.logSk(s.gen(), Long.MAX_VALUE))))
                    .consistentRead(true)
                    .limit(want)
                    .exclusiveStartKey(from)
                    .build()));
            for (Map<String, AttributeValue> row : page.items()) {
                out.add(new LogEntry(
                        JobItems.num(row, "seq"),
                        Instant.ofEpochMilli(JobItems.num(row, "at")),
                        JobItems.str(row, "lv"),
                        JobItems.str(row, "lg"),
                        JobItems.str(row, "m")));
            }
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null && out.size() < limit);
        return out;
    }
}
