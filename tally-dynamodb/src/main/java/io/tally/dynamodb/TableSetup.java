package io.tally.dynamodb;

import io.tally.StoreUnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.DescribeTableResponse;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.IndexStatus;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.Projection;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;
import software.amazon.awssdk.services.dynamodb.model.TimeToLiveStatus;

/**
 * Creates the store's table when it is absent (idempotent: a table another process is creating is waited for), waits
 * until it and its indexes are ACTIVE, and turns its TTL on. The table design is in the module README.
 */
final class TableSetup {
    private static final Logger log = LoggerFactory.getLogger(TableSetup.class);

    /** Index names. */
    static final String BY_ALL = "by_all";

    static final String BY_STATE = "by_state";
    static final String BY_SCOPE = "by_scope";
    static final String BY_NAME = "by_name";
    static final String BY_PARENT = "by_parent";
    static final String BY_LEASE = "by_lease";
    static final String BY_DEADLINE = "by_deadline";
    static final String BY_RETAIN = "by_retain";

    /** Every index the store reads. */
    static final List<String> INDEXES =
            List.of(BY_ALL, BY_STATE, BY_SCOPE, BY_NAME, BY_PARENT, BY_LEASE, BY_DEADLINE, BY_RETAIN);

    private TableSetup() {}

    /** Makes sure table {@code table} exists and is ACTIVE, creating it if needed. */
    static void ensure(DynamoDbClient client, String table, Duration wait) {
        try {
            waitActive(client, table, wait);
            enableTtl(client, table);
        } catch (SdkException e) {
            throw new StoreUnavailableException("DynamoDB: cannot set up table " + table + ": " + e.getMessage(), e);
        }
    }

    private static void create(DynamoDbClient client, String table) {
        List<AttributeDefinition> attrs = new ArrayList<>();
        for (String a : List.of(
                JobItems.PK,
                JobItems.SK,
                JobItems.ALL_PK,
                JobItems.STATE_PK,
                JobItems.SCOPE_PK,
                JobItems.NAME_PK,
                JobItems.PARENT_PK,
                JobItems.CREATED_SK,
                JobItems.LEASE_PK,
                JobItems.LEASE_SK,
                JobItems.DEADLINE_PK,
                JobItems.DEADLINE_SK,
                JobItems.RETAIN_PK,
                JobItems.RETAIN_SK)) {
            attrs.add(AttributeDefinition.builder()
                    .attributeName(a)
                    .attributeType(ScalarAttributeType.S)
                    .build());
        }
        // The listings read the filter attributes from the index, so that a query with several filters tests the
        // others there (a filter expression) and fetches only the jobs that pass.
        Projection listing = Projection.builder()
                .projectionType(ProjectionType.INCLUDE)
                .nonKeyAttributes("st", "scope", "name", "parent")
                .build();
        Projection keys =
                Projection.builder().projectionType(ProjectionType.KEYS_ONLY).build();
        List<GlobalSecondaryIndex> indexes = List.of(
                index(BY_ALL, JobItems.ALL_PK, JobItems.CREATED_SK, listing),
                index(BY_STATE, JobItems.STATE_PK, JobItems.CREATED_SK, listing),
                index(BY_SCOPE, JobItems.SCOPE_PK, JobItems.CREATED_SK, listing),
                index(BY_NAME, JobItems.NAME_PK, JobItems.CREATED_SK, listing),
                index(BY_PARENT, JobItems.PARENT_PK, JobItems.CREATED_SK, listing),
                index(BY_LEASE, JobItems.LEASE_PK, JobItems.LEASE_SK, keys),
                index(BY_DEADLINE, JobItems.DEADLINE_PK, JobItems.DEADLINE_SK, keys),
                index(BY_RETAIN, JobItems.RETAIN_PK, JobItems.RETAIN_SK, keys));
        try {
            client.createTable(b -> b.tableName(table)
                    .billingMode(BillingMode.PAY_PER_REQUEST)
                    .attributeDefinitions(attrs)
                    .keySchema(key(JobItems.PK, KeyType.HASH), key(JobItems.SK, KeyType.RANGE))
                    .globalSecondaryIndexes(indexes));
            log.info("created DynamoDB table {}", table);
        } catch (ResourceInUseException e) {
            // another process creates it at the same time: wait for it below
        }
    }

    private static GlobalSecondaryIndex index(String name, String pk, String sk, Projection projection) {
        return GlobalSecondaryIndex.builder()
                .indexName(name)
                .keySchema(key(pk, KeyType.HASH), key(sk, KeyType.RANGE))
                .projection(projection)
                .build();
    }

    private static KeySchemaElement key(String name, KeyType type) {
        return KeySchemaElement.builder().attributeName(name).keyType(type).build();
    }

    /**
     * Waits until the table and its indexes are ACTIVE, creating it when it is absent (also when it was being deleted
     * and is now gone).
     */
    private static void waitActive(DynamoDbClient client, String table, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            DescribeTableResponse d;
            try {
                d = client.describeTable(b -> b.tableName(table));
            } catch (ResourceNotFoundException absent) {
                create(client, table);
                if (System.nanoTime() > deadline) {
                    throw new StoreUnavailableException("DynamoDB: table " + table + " does not appear after " + wait);
                }
                LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
                continue;
            }
            boolean active = d.table().tableStatus() == TableStatus.ACTIVE
                    && d.table().globalSecondaryIndexes().stream().allMatch(i -> i.indexStatus() == IndexStatus.ACTIVE);
            if (active) {
                List<String> missing = new ArrayList<>(INDEXES);
                d.table().globalSecondaryIndexes().forEach(i -> missing.remove(i.indexName()));
                if (!missing.isEmpty()) {
                    throw new StoreUnavailableException("DynamoDB: table " + table + " lacks the indexes " + missing
                            + " this store reads (see the table design in the tally-dynamodb README)");
                }
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new StoreUnavailableException("DynamoDB: table " + table + " is not ACTIVE after " + wait + " ("
                        + d.table().tableStatus() + ")");
            }
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
        }
    }

    /**
     * Turns on the table's TTL on the {@code ttl} attribute. A server without the operation (dynalite has only
     * DescribeTimeToLive) is told at DEBUG (every process opening the store would repeat it); any other refusal (say, a
     * role without the permission) at WARN. Either way the sweeper still deletes expired jobs.
     */
    private static void enableTtl(DynamoDbClient client, String table) {
        try {
            TimeToLiveStatus status = client.describeTimeToLive(b -> b.tableName(table))
                    .timeToLiveDescription()
                    .timeToLiveStatus();
            if (status == TimeToLiveStatus.ENABLED || status == TimeToLiveStatus.ENABLING) {
                return;
            }
            client.updateTimeToLive(b -> b.tableName(table)
                    .timeToLiveSpecification(s -> s.attributeName(JobItems.TTL).enabled(true)));
        } catch (AwsServiceException e) {
            if (e.awsErrorDetails() != null
                    && "UnknownOperationException".equals(e.awsErrorDetails().errorCode())) {
                // a test server without TTL (dynalite): said once here, and in the README
                log.debug(
                        "DynamoDB table {}: the server has no UpdateTimeToLive; the sweeper deletes expired jobs",
                        table);
            } else {
                log.warn(
                        "DynamoDB table {}: TTL could not be turned on ({}); finished jobs are deleted by the sweeper only",
                        table,
                        e.getMessage());
            }
        } catch (SdkException e) {
            log.warn("DynamoDB table {}: TTL could not be turned on ({})", table, e.getMessage());
        }
    }
}
