package io.tally.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tally.testing.TestServices;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;

/**
 * {@link BrokerWorkers} through Amazon SQS, on ElasticMQ: {@link SqsDispatcher} on a standard queue of this test's own,
 * with a visibility timeout of 3 s so that the killed worker's messages come back quickly (the live worker's long
 * parts are kept by {@code ChangeMessageVisibility}).
 */
class SqsDispatcherIT extends BrokerWorkers {
    private String queue() {
        return "tally-test-" + run;
    }

    private String deadQueue() {
        return queue() + "-dead";
    }

    @Override
    String url() {
        return TestServices.sqsUrl();
    }

    @Override
    List<String> transportArgs() {
        return List.of("--queue", queue(), "--redeliver-after", "PT3S");
    }

    @Override
    Dispatcher publisher() {
        return SqsDispatcher.builder(url()).queue(queue()).consume(false).build();
    }

    /** A client of the test's ElasticMQ (sqs://HOST:PORT?…), outside the dispatcher. */
    private SqsClient client() {
        URI u = URI.create(url());
        return SqsClient.builder()
                .httpClient(UrlConnectionHttpClient.create())
                .endpointOverride(URI.create("http://" + u.getHost() + ":" + u.getPort()))
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("tally", "local")))
                .build();
    }

    private <T> T withSqs(SqsCall<T> call) throws Exception {
        try (SqsClient sqs = client()) {
            return call.apply(sqs);
        }
    }

    private static String queueUrl(SqsClient sqs, String name) {
        return sqs.getQueueUrl(r -> r.queueName(name)).queueUrl();
    }

    @Override
    long waiting() throws Exception {
        // Visible and in flight: SQS keeps a message until it is deleted.
        return withSqs(sqs -> {
            Map<QueueAttributeName, String> a = sqs.getQueueAttributes(r -> r.queueUrl(queueUrl(sqs, queue()))
                            .attributeNames(
                                    QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                                    QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE))
                    .attributes();
            return Long.parseLong(a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
                    + Long.parseLong(a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
        });
    }

    @Override
    List<WorkMessage> deadLetters() throws Exception {
        // Received with a visibility timeout of 0: they stay in the queue, visible.
        return withSqs(sqs -> {
            List<WorkMessage> out = new ArrayList<>();
            for (Message m : sqs.receiveMessage(r -> r.queueUrl(queueUrl(sqs, deadQueue()))
                            .maxNumberOfMessages(10)
                            .visibilityTimeout(0)
                            .waitTimeSeconds(0))
                    .messages()) {
                out.add(WorkMessage.fromJson(m.body()));
            }
            return out;
        });
    }

    @Override
    void deleteQueues() throws Exception {
        withSqs(sqs -> {
            for (String q : List.of(queue(), deadQueue())) {
                try {
                    sqs.deleteQueue(r -> r.queueUrl(queueUrl(sqs, q)));
                } catch (QueueDoesNotExistException missing) {
                    // never created
                }
            }
            return null;
        });
    }

    @Test
    void aPartLongerThanTheVisibilityTimeoutIsKeptByItsLiveWorkerNotRedelivered() throws Exception {
        AtomicInteger deliveries = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        try (Dispatcher d = SqsDispatcher.builder(url())
                .queue(queue())
                .visibilityTimeout(Duration.ofSeconds(2))
                .threads(2)
                .build()) {
            d.start(m -> {
                deliveries.incrementAndGet();
                release.await(); // runs until the test lets it go
            });
            d.publish(WorkMessage.map("tiles", "job-1", 0));

            // More than two timeouts pass while the part runs: ChangeMessageVisibility keeps it with this worker.
            await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(15)).until(() -> deliveries.get() == 1);
            release.countDown();
            await().atMost(Duration.ofSeconds(10)).until(() -> waiting() == 0);
            assertThat(deliveries).hasValue(1);
        }
    }

    @Test
    void aMessageWhoseWorkersKeepDyingIsDeadLetteredWithoutRunning() throws Exception {
        try (Dispatcher publishing = publisher()) {
            publishing.publish(WorkMessage.map("tiles", "job-1", 4));
        }
        // Three workers take the message and die: it is not deleted, so SQS delivers it again after each timeout.
        withSqs(sqs -> {
            String url = queueUrl(sqs, queue());
            for (int i = 1; i <= 3; i++) {
                String delivery = String.valueOf(i);
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> sqs
                                .receiveMessage(r -> r.queueUrl(url)
                                        .visibilityTimeout(1)
                                        .waitTimeSeconds(1)
                                        .messageSystemAttributeNames(
                                                MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT))
                                .messages()
                                .stream()
                                .anyMatch(m -> delivery.equals(
                                        m.attributes().get(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT))));
            }
            return null;
        });
        PoisonWatch watch = new PoisonWatch();
        try (Dispatcher d = SqsDispatcher.builder(url())
                .queue(queue())
                .visibilityTimeout(Duration.ofSeconds(1))
                .maxDeliveries(3)
                .threads(1)
                .build()) {
            d.start(watch);
            await().atMost(Duration.ofSeconds(15)).until(() -> !watch.told.isEmpty());
        }
        assertThat(watch.runs).hasValue(0);
        assertThat(watch.told)
                .containsExactly("part 4 of tiles job job-1 was dead-lettered to SQS queue '" + deadQueue()
                        + "' after 4 deliveries: part 4 of tiles job job-1 was delivered 4 times without an answer"
                        + " (its workers died?); limit 3");
        assertThat(deadLetters()).extracting(WorkMessage::part).containsExactly(4);
        assertThat(waiting()).isZero();
    }

    @Test
    void aDeletedQueueIsAPublishErrorNotALoss() throws Exception {
        try (Dispatcher publishing = publisher()) {
            withSqs(sqs -> sqs.deleteQueue(r -> r.queueUrl(queueUrl(sqs, queue())))); // e.g. by an operator

            assertThatThrownBy(() -> publishing.publish(WorkMessage.map("tiles", "job-1", 0)))
                    .isInstanceOf(DispatchException.class)
                    .hasMessageContaining("to SQS queue " + queue() + " failed");
        }
    }

    @FunctionalInterface
    private interface SqsCall<T> {
        T apply(SqsClient sqs) throws Exception;
    }
}
