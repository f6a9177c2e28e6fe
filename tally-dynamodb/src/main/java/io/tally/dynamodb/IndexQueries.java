package io.tally.dynamodb;

import io.tally.JobQuery;
import io.tally.Page;
import io.tally.store.Cursor;
import io.tally.store.JobRecord;
import io.tally.store.SweepKind;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;

/**
 * The reads over the table's secondary indexes: the listings ({@link #query}, newest first, a cursor as a key
 * condition) and the sweep's candidates (a sparse index per kind, ordered by the due time); the index proposes, the
 * job's item, read consistently ({@link #records}), decides.
 */
final class IndexQueries {
    private final Requests requests;
    private final DynamoDbClient client;
    private final String table;
    private final JobItems layout;

    IndexQueries(Requests requests) {
        this.requests = requests;
        this.client = requests.client();
        this.table = requests.table();
        this.layout = requests.layout();
    }

    /**
     * @return a page of the jobs {@code q} selects, from the index of the first of parent, scope, name and state it
     *     names (the others are filters), or of all jobs
     */
    Page<JobRecord> query(JobQuery q) {
        String index;
        String pkAttr;
        String value;
        if (q.parent().isPresent()) {
            index = TableSetup.BY_PARENT;
            pkAttr = JobItems.PARENT_PK;
            value = layout.indexValue("parent", q.parent().get());
        } else if (q.scope().isPresent()) {
            index = TableSetup.BY_SCOPE;
            pkAttr = JobItems.SCOPE_PK;
            value = layout.indexValue("scope", q.scope().get());
        } else if (q.name().isPresent()) {
            index = TableSetup.BY_NAME;
            pkAttr = JobItems.NAME_PK;
            value = layout.indexValue("name", q.name().get());
        } else if (q.state().isPresent()) {
            index = TableSetup.BY_STATE;
            pkAttr = JobItems.STATE_PK;
            value = layout.indexValue("state", q.state().get().name());
        } else {
            index = TableSetup.BY_ALL;
            pkAttr = JobItems.ALL_PK;
            value = layout.indexValue("all", "");
        }
        Map<String, String> names = new HashMap<>();
        Map<String, AttributeValue> values = new HashMap<>();
        names.put("#p", pkAttr);
        values.put(":p", JobItems.s(value));
        String keyCondition = "#p = :p";
        if (q.cursor().isPresent()) {
            Cursor c = Cursor.decode(q.cursor().get());
            names.put("#c", JobItems.CREATED_SK);
            values.put(":c", JobItems.s(JobItems.timeKey(c.createdAt(), c.id())));
            keyCondition += " AND #c < :c";
        }
        List<String> filters = new ArrayList<>();
        q.state().ifPresent(v -> filter(filters, names, values, "st", v.name()));
        q.scope().ifPresent(v -> filter(filters, names, values, "scope", v));
        q.name().ifPresent(v -> filter(filters, names, values, "name", v));
        q.parent().ifPresent(v -> filter(filters, names, values, "parent", v));
        String condition = keyCondition;
        List<String> ids = new ArrayList<>();
        List<String> positions = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            QueryResponse page = requests.call(() -> client.query(QueryRequest.builder()
                    .tableName(table)
                    .indexName(index)
                    .keyConditionExpression(condition)
                    .filterExpression(filters.isEmpty() ? null : String.join(" AND ", filters))
                    .expressionAttributeNames(names)
                    .expressionAttributeValues(values)
                    .scanIndexForward(false)
                    .limit(q.limit() + 1)
                    .exclusiveStartKey(from)
                    .build()));
            for (Map<String, AttributeValue> k : page.items()) {
                if (ids.size() <= q.limit()) {
                    positions.add(JobItems.str(k, JobItems.CREATED_SK));
                    ids.add(idOf(JobItems.str(k, JobItems.CREATED_SK)));
                }
            }
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null && ids.size() <= q.limit());
        boolean more = ids.size() > q.limit();
        List<JobRecord> out = new ArrayList<>();
        for (JobRecord r : records(more ? ids.subList(0, q.limit()) : ids)) {
            // the index proposes, the stored job decides (an index entry may lag its item)
            if (r.matches(q)) {
                out.add(r);
            }
        }
        // the next page starts after the last index entry of this one (a job dropped by the re-check included)
        Optional<String> next = more ? Optional.of(cursorAt(positions.get(q.limit() - 1))) : Optional.empty();
        return new Page<>(out, next);
    }

    private static void filter(
            List<String> filters,
            Map<String, String> names,
            Map<String, AttributeValue> values,
            String attr,
            String value) {
        names.put("#f_" + attr, attr);
        values.put(":f_" + attr, JobItems.s(value));
        filters.add("#f_" + attr + " = :f_" + attr);
    }

    /** @return the cursor after the job whose listing sort key is {@code timeKey} ({@code millis#id}) */
    private static String cursorAt(String timeKey) {
        int hash = timeKey.indexOf('#');
        return new Cursor(Instant.ofEpochMilli(Long.parseLong(timeKey.substring(0, hash))), timeKey.substring(hash + 1))
                .encode();
    }

    /** @return the id in a {@code time#id} sort key */
    static String idOf(String timeKey) {
        return timeKey.substring(timeKey.indexOf('#') + 1);
    }

    /** @return the jobs of {@code ids} that exist, in that order, read consistently */
    List<JobRecord> records(List<String> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        Map<String, JobRecord> found = new HashMap<>();
        List<Map<String, AttributeValue>> keys = new ArrayList<>(
                new LinkedHashSet<>(ids).stream().map(layout::jobKey).toList());
        for (Map<String, AttributeValue> item : requests.batchGet(keys, false)) {
            JobRecord r = JobItems.decode(item).record();
            found.put(r.id(), r);
        }
        List<JobRecord> out = new ArrayList<>();
        for (String id : ids) {
            if (found.containsKey(id)) {
                out.add(found.get(id));
            }
        }
        return out;
    }

    /**
     * @return the jobs due for {@code kind} before {@code now}, from the kind's sparse index (an entry only while the
     *     job can become due for it), ordered by the due time
     */
    List<String> sweepCandidates(SweepKind kind, Instant now, int limit) {
        String index;
        String pkAttr;
        String skAttr;
        String value;
        switch (kind) {
            case STALLED -> {
                index = TableSetup.BY_LEASE;
                pkAttr = JobItems.LEASE_PK;
                skAttr = JobItems.LEASE_SK;
                value = layout.indexValue("lease", "");
            }
            case TIMEOUT -> {
                index = TableSetup.BY_DEADLINE;
                pkAttr = JobItems.DEADLINE_PK;
                skAttr = JobItems.DEADLINE_SK;
                value = layout.indexValue("deadline", "");
            }
            default -> {
                index = TableSetup.BY_RETAIN;
                pkAttr = JobItems.RETAIN_PK;
                skAttr = JobItems.RETAIN_SK;
                value = layout.indexValue("retain", "");
            }
        }
        List<String> ids = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            QueryResponse page = requests.call(() -> client.query(QueryRequest.builder()
                    .tableName(table)
                    .indexName(index)
                    .keyConditionExpression("#p = :p AND #s < :now")
                    .expressionAttributeNames(Map.of("#p", pkAttr, "#s", skAttr))
                    .expressionAttributeValues(
                            Map.of(":p", JobItems.s(value), ":now", JobItems.s(JobItems.timeBound(now))))
                    .limit(limit - ids.size())
                    .exclusiveStartKey(from)
                    .build()));
            page.items().forEach(k -> ids.add(idOf(JobItems.str(k, skAttr))));
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null && ids.size() < limit);
        return ids;
    }
}
