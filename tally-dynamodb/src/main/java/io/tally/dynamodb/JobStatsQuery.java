package io.tally.dynamodb;

import io.tally.JobState;
import io.tally.store.JobRecord;
import io.tally.store.JobStats;
import io.tally.store.RecordedProgress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.Select;

/**
 * The counts of {@link io.tally.store.JobStore#stats}: over the whole table, a COUNT query per state on the state
 * index; under a root, the job and its descendants level by level through the parent index, each job counted once.
 */
final class JobStatsQuery {
    private final Requests requests;
    private final DynamoDbClient client;
    private final String table;
    private final JobItems layout;
    private final IndexQueries indexQueries;

    JobStatsQuery(Requests requests, IndexQueries indexQueries) {
        this.requests = requests;
        this.client = requests.client();
        this.table = requests.table();
        this.layout = requests.layout();
        this.indexQueries = indexQueries;
    }

    JobStats stats(String root) {
        Map<JobState, Long> counts = JobStats.zeros();
        if (root == null) {
            for (JobState s : JobState.values()) {
                long n = 0;
                Map<String, AttributeValue> start = null;
                do {
                    Map<String, AttributeValue> from = start;
                    QueryResponse page = requests.call(() -> client.query(QueryRequest.builder()
                            .tableName(table)
                            .indexName(TableSetup.BY_STATE)
                            .keyConditionExpression("#p = :p")
                            .expressionAttributeNames(Map.of("#p", JobItems.STATE_PK))
                            .expressionAttributeValues(Map.of(":p", JobItems.s(layout.indexValue("state", s.name()))))
                            .select(Select.COUNT)
                            .exclusiveStartKey(from)
                            .build()));
                    n += page.count();
                    start = page.hasLastEvaluatedKey()
                                    && !page.lastEvaluatedKey().isEmpty()
                            ? page.lastEvaluatedKey()
                            : null;
                } while (start != null);
                counts.put(s, n);
            }
            return new JobStats(counts, 0, 0, 0, List.of());
        }
        long total = 0;
        long succeeded = 0;
        long failed = 0;
        List<io.tally.store.RateEstimator.State> running = new ArrayList<>();
        List<String> level = requests.read(root) != null ? List.of(root) : List.of();
        Set<String> seen = new HashSet<>();
        while (!level.isEmpty()) {
            List<String> next = new ArrayList<>();
            for (JobRecord r : indexQueries.records(level)) {
                if (!seen.add(r.id())) {
                    continue;
                }
                counts.merge(r.state(), 1L, Long::sum);
                total += r.total();
                succeeded += r.succeeded();
                failed += r.failed();
                if (r.state() == JobState.RUNNING) {
                    running.add(RecordedProgress.of(r).rate());
                }
                next.addAll(children(r.id()));
            }
            level = next;
        }
        return new JobStats(counts, total, succeeded, failed, running);
    }

    private List<String> children(String parent) {
        List<String> ids = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            QueryResponse page = requests.call(() -> client.query(QueryRequest.builder()
                    .tableName(table)
                    .indexName(TableSetup.BY_PARENT)
                    .keyConditionExpression("#p = :p")
                    .expressionAttributeNames(Map.of("#p", JobItems.PARENT_PK))
                    .expressionAttributeValues(Map.of(":p", JobItems.s(layout.indexValue("parent", parent))))
                    .exclusiveStartKey(from)
                    .build()));
            page.items().forEach(k -> ids.add(IndexQueries.idOf(JobItems.str(k, JobItems.CREATED_SK))));
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null);
        return ids;
    }
}
