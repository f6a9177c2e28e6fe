package io.tally.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.Job;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.PartCompletion;
import io.tally.Tally;
import io.tally.testing.MutableClock;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.CreateTableResponse;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.DescribeTableRequest;
import software.amazon.awssdk.services.dynamodb.model.DescribeTableResponse;
import software.amazon.awssdk.services.dynamodb.model.DescribeTimeToLiveRequest;
import software.amazon.awssdk.services.dynamodb.model.DescribeTimeToLiveResponse;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemResponse;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;
import software.amazon.awssdk.services.dynamodb.model.UpdateTimeToLiveRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateTimeToLiveResponse;

/**
 * A write whose answer is lost: the SDK sends it again, and the second try fails its condition because the first one
 * landed. Against dynalite, with the client's one PutItem of a job item sent twice (as the SDK's retry does): the store
 * must find its own write (the job item's write marks) and answer it once, not apply the calls again.
 */
class LostAnswerIT {
    private static final String PREFIX = "lost_";
    private final MutableClock clock = MutableClock.startingNow();
    private DynamoDbClient real;
    private Resending client;
    private Tally tally;

    @BeforeEach
    void open() {
        real = Dynalite.client();
        client = new Resending(real);
        tally = Tally.builder()
                .store(DynamoDbJobStore.builder()
                        .client(client)
                        .tablePrefix("tck_")
                        .namespace("lost"
                                + UUID.randomUUID().toString().replace("-", "").substring(0, 10))
                        .clock(clock)
                        .build())
                .clock(clock)
                .build();
    }

    @AfterEach
    void close() {
        if (tally != null) { // (null when dynalite is not running: the test was skipped before it opened)
            tally.close();
            real.close();
        }
    }

    @AfterAll
    static void dropTable() {
        Dynalite.dropTable(PREFIX);
    }

    @Test
    void aResentCountIsCountedOnce() {
        Job job = tally.create(
                JobSpec.builder().name("lost").total(10).start(true).build());
        client.resendNextJobWrite();
        job.record(io.tally.store.ProgressUpdate.counts(3, 0));
        assertThat(client.resent()).isTrue();
        assertThat(job.progress().succeeded()).isEqualTo(3);
    }

    @Test
    void aResentSettleIsStillTheSettle() {
        Job job = tally.create(JobSpec.builder()
                .name("lost-parts")
                .parts(List.of(Map.of("i", 0), Map.of("i", 1)))
                .build());
        assertThat(tally.completePart(job.id(), 0).last()).isFalse();
        client.resendNextJobWrite();
        PartCompletion settle = tally.completePart(job.id(), 1);
        assertThat(client.resent()).isTrue();
        assertThat(settle.last()).isTrue();
        assertThat(settle.changed()).isTrue();
        assertThat(tally.snapshot(job.id()).orElseThrow().state()).isEqualTo(JobState.SUCCEEDED);
    }

    @Test
    void aResentCreationIsTheCreation() {
        client.resendNextJobWrite();
        Job job = tally.create(
                JobSpec.builder().id("made-once").name("lost-create").build());
        assertThat(client.resent()).isTrue();
        assertThat(tally.find(job.id())).isPresent();
    }

    /** The real client, except that it can send the next PutItem of a job item twice, as the SDK's retry would. */
    private static final class Resending implements DynamoDbClient {
        private final DynamoDbClient real;
        private final AtomicBoolean armed = new AtomicBoolean();
        private final AtomicBoolean resent = new AtomicBoolean();

        Resending(DynamoDbClient real) {
            this.real = real;
        }

        void resendNextJobWrite() {
            resent.set(false);
            armed.set(true);
        }

        boolean resent() {
            return resent.get();
        }

        @Override
        public PutItemResponse putItem(PutItemRequest r) {
            boolean jobItem =
                    r.item().containsKey("sk") && r.item().get("sk").s().equals("job");
            if (jobItem && armed.compareAndSet(true, false)) {
                real.putItem(r); // lands; its answer is "lost"
                resent.set(true);
                return real.putItem(r); // the second try: fails its condition
            }
            return real.putItem(r);
        }

        @Override
        public GetItemResponse getItem(GetItemRequest r) {
            return real.getItem(r);
        }

        @Override
        public UpdateItemResponse updateItem(UpdateItemRequest r) {
            return real.updateItem(r);
        }

        @Override
        public DeleteItemResponse deleteItem(DeleteItemRequest r) {
            return real.deleteItem(r);
        }

        @Override
        public QueryResponse query(QueryRequest r) {
            return real.query(r);
        }

        @Override
        public BatchGetItemResponse batchGetItem(BatchGetItemRequest r) {
            return real.batchGetItem(r);
        }

        @Override
        public BatchWriteItemResponse batchWriteItem(BatchWriteItemRequest r) {
            return real.batchWriteItem(r);
        }

        @Override
        public DescribeTableResponse describeTable(DescribeTableRequest r) {
            return real.describeTable(r);
        }

        @Override
        public CreateTableResponse createTable(CreateTableRequest r) {
            return real.createTable(r);
        }

        @Override
        public DescribeTimeToLiveResponse describeTimeToLive(DescribeTimeToLiveRequest r) {
            return real.describeTimeToLive(r);
        }

        @Override
        public UpdateTimeToLiveResponse updateTimeToLive(UpdateTimeToLiveRequest r) {
            return real.updateTimeToLive(r);
        }

        @Override
        public String serviceName() {
            return real.serviceName();
        }

        @Override
        public void close() {}
    }
}
