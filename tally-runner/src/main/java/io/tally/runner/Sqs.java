package io.tally.runner;

import io.tally.InvalidInputException;
import java.net.URI;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.SqsClientBuilder;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;
import software.amazon.awssdk.services.sqs.model.QueueNameExistsException;

/**
 * The {@link SqsDispatcher}'s work on the AWS SDK, in a class of its own so that the public class loads without the
 * SDK and can say which artifact is missing. How it works is told on {@link SqsDispatcher}.
 */
final class Sqs implements Dispatcher {
    private static final Logger log = LoggerFactory.getLogger(SqsDispatcher.class);
    /**
     * Long polling: a receive waits up to this long for a message (SQS allows 20). {@link #close} waits for the receive
     * under way, so that what it brings is made visible again at once rather than after the visibility timeout: 5 s
     * keeps a worker's shutdown short at 12 receives a minute while idle.
     */
    private static final int WAIT_SECONDS = 5;

    private final SqsClient sqs;
    private final String queue;
    private final String deadQueue;
    private final String queueUrl;
    private final String deadQueueUrl;
    private final int visibilitySeconds;
    private final int threads;
    private final int maxDeliveries;
    private final boolean consume;
    private volatile boolean closed;
    private PullConsumer<Message> consumer;

    Sqs(SqsDispatcher.Builder b) {
        this.queue = b.queue();
        this.deadQueue = queue + "-dead";
        this.visibilitySeconds = (int) Math.max(1, b.visibilityTimeout().toSeconds());
        this.threads = b.threads();
        this.maxDeliveries = b.maxDeliveries();
        this.consume = b.consume();
        SqsClientBuilder builder = SqsClient.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(Duration.ofSeconds(WAIT_SECONDS + 20)));
        if (b.endpoint() == null) {
            if (b.region() != null) {
                builder.region(Region.of(b.region()));
            }
            builder.credentialsProvider(DefaultCredentialsProvider.builder().build());
        } else {
            builder.endpointOverride(URI.create("http://" + b.endpoint()));
            builder.region(Region.of(b.region() == null ? "us-east-1" : b.region()));
            builder.credentialsProvider(localCredentials());
        }
        try {
            this.sqs = builder.build();
        } catch (SdkException | IllegalArgumentException e) {
            throw new InvalidInputException("sqsUrl", "cannot make an SQS client: " + e.getMessage());
        }
        try {
            this.deadQueueUrl = ensureQueue(deadQueue, Map.of());
            String deadArn = sqs.getQueueAttributes(
                            r -> r.queueUrl(deadQueueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                    .attributes()
                    .get(QueueAttributeName.QUEUE_ARN);
            this.queueUrl = ensureQueue(
                    queue,
                    Map.of(
                            QueueAttributeName.REDRIVE_POLICY,
                            "{\"deadLetterTargetArn\":\"" + deadArn + "\",\"maxReceiveCount\":\"" + (maxDeliveries + 1)
                                    + "\"}",
                            QueueAttributeName.VISIBILITY_TIMEOUT,
                            String.valueOf(visibilitySeconds)));
        } catch (RuntimeException e) {
            sqs.close();
            throw new DispatchException("cannot create SQS queues " + queue + " and " + deadQueue + ": " + e, e);
        }
    }

    /**
     * The default chain when it finds credentials, else a dummy static pair: a local SQS-compatible server does not
     * check signatures, and a developer should not need AWS credentials to use one.
     */
    private static AwsCredentialsProvider localCredentials() {
        DefaultCredentialsProvider chain = DefaultCredentialsProvider.builder().build();
        try {
            chain.resolveCredentials();
            return chain;
        } catch (SdkException | IllegalStateException none) {
            log.debug("no AWS credentials found for a local SQS endpoint; signing with a dummy pair");
            return StaticCredentialsProvider.create(AwsBasicCredentials.create("tally", "local"));
        }
    }

    /** @return the queue's URL, creating it with {@code attributes} when missing (an existing one is left as it is) */
    private String ensureQueue(String name, Map<QueueAttributeName, String> attributes) {
        try {
            return sqs.getQueueUrl(r -> r.queueName(name)).queueUrl();
        } catch (QueueDoesNotExistException missing) {
            try {
                return sqs.createQueue(r -> r.queueName(name).attributes(attributes))
                        .queueUrl();
            } catch (QueueNameExistsException raced) {
                return sqs.getQueueUrl(r -> r.queueName(name)).queueUrl(); // another process created it meanwhile
            }
        }
    }

    @Override
    public void publish(WorkMessage message) {
        if (closed) {
            throw new DispatchException("dispatcher is closed; cannot publish " + message);
        }
        try {
            sqs.sendMessage(r -> r.queueUrl(queueUrl).messageBody(message.toJson()));
        } catch (RuntimeException e) {
            throw new DispatchException("publishing " + message + " to SQS queue " + queue + " failed: " + e, e);
        }
    }

    @Override
    public synchronized void start(MessageHandler handler) {
        if (handler == null) {
            throw new InvalidInputException("handler", "must not be null");
        }
        if (!consume || consumer != null || closed) {
            return;
        }
        warnOfAShorterRedrive();
        consumer = new PullConsumer<>(
                new Pulled(), handler, "sqs", threads, Math.max(500, visibilitySeconds * 1000L / 3), maxDeliveries);
        consumer.start();
    }

    /**
     * The redrive policy is set by whoever created the queue: when it moves a message to the dead-letter queue before
     * this worker's {@code maxDeliveries} ran out, SQS does so without the runner hearing of it, so say so.
     */
    private void warnOfAShorterRedrive() {
        try {
            String policy = sqs.getQueueAttributes(
                            r -> r.queueUrl(queueUrl).attributeNames(QueueAttributeName.REDRIVE_POLICY))
                    .attributes()
                    .get(QueueAttributeName.REDRIVE_POLICY);
            java.util.regex.Matcher m = policy == null
                    ? null
                    : java.util.regex.Pattern.compile("\"maxReceiveCount\"\\s*:\\s*\"?([0-9]+)")
                            .matcher(policy);
            if (m != null && m.find() && Integer.parseInt(m.group(1)) <= maxDeliveries) {
                log.warn(
                        "SQS queue {} moves a message to its dead-letter queue after {} receives, before this worker's"
                                + " maxDeliveries ({}) ran out: such a message's job is not told; give publisher and"
                                + " workers the same maxDeliveries, or change the queue's RedrivePolicy",
                        queue,
                        m.group(1),
                        maxDeliveries);
            }
        } catch (RuntimeException e) {
            log.debug("cannot read the redrive policy of {}: {}", queue, e.toString());
        }
    }

    /** The queue's messages to a {@link PullConsumer}: long polls, the visibility timeout extended while one runs. */
    private final class Pulled implements PullConsumer.Transport<Message> {
        @Override
        public Iterator<Message> receive(int max) {
            return sqs.receiveMessage(r -> r.queueUrl(queueUrl)
                            .maxNumberOfMessages(max)
                            .waitTimeSeconds(WAIT_SECONDS)
                            .visibilityTimeout(visibilitySeconds)
                            .messageSystemAttributeNames(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT))
                    .messages()
                    .iterator();
        }

        @Override
        public int maxPerReceive() {
            return 10; // SQS's limit per receive
        }

        @Override
        public WorkMessage parse(Message m) {
            return WorkMessage.fromJson(m.body());
        }

        @Override
        public int deliveries(Message m) {
            return receiveCount(m);
        }

        @Override
        public void extend(Message m) {
            sqs.changeMessageVisibility(
                    r -> r.queueUrl(queueUrl).receiptHandle(m.receiptHandle()).visibilityTimeout(visibilitySeconds));
        }

        @Override
        public void ack(Message m) {
            sqs.deleteMessage(r -> r.queueUrl(queueUrl).receiptHandle(m.receiptHandle()));
        }

        @Override
        public void retry(Message m) {
            release(m);
        }

        @Override
        public boolean deadLetter(Message m, int deliveries, Exception cause) {
            return Sqs.this.deadLetter(m, deliveries, cause);
        }

        @Override
        public String deadPlace() {
            return "SQS queue '" + deadQueue + "'";
        }

        @Override
        public String source() {
            return "SQS queue " + queue;
        }
    }

    private static int receiveCount(Message msg) {
        String count = msg.attributes().get(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT);
        try {
            return count == null ? 1 : Math.max(1, Integer.parseInt(count));
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    /** Makes {@code msg} visible again at once, so it is delivered again without waiting out the timeout. */
    private void release(Message msg) {
        try {
            sqs.changeMessageVisibility(
                    r -> r.queueUrl(queueUrl).receiptHandle(msg.receiptHandle()).visibilityTimeout(0));
        } catch (RuntimeException e) {
            log.debug("releasing a message of {} failed; it comes back after the timeout: {}", queue, e.toString());
        }
    }

    /** Sends a copy to the dead-letter queue, then deletes the original. @return whether it was moved */
    private boolean deadLetter(Message msg, int deliveries, Exception cause) {
        try {
            sqs.sendMessage(r -> r.queueUrl(deadQueueUrl)
                    .messageBody(msg.body())
                    .messageAttributes(Map.of(
                            "Tally-Deliveries",
                            MessageAttributeValue.builder()
                                    .dataType("Number")
                                    .stringValue(String.valueOf(deliveries))
                                    .build(),
                            "Tally-Error",
                            MessageAttributeValue.builder()
                                    .dataType("String")
                                    .stringValue(oneLine(String.valueOf(cause)))
                                    .build())));
        } catch (RuntimeException e) {
            log.warn("cannot dead-letter to SQS queue {}; the message comes back: {}", deadQueue, e.toString());
            release(msg);
            return false;
        }
        sqs.deleteMessage(r -> r.queueUrl(queueUrl).receiptHandle(msg.receiptHandle()));
        return true;
    }

    /** @return {@link Deliveries#oneLine} with only the characters an SQS message attribute may hold */
    private static String oneLine(String s) {
        return Deliveries.oneLine(s).replaceAll("[^\\x09\\x20-\\uD7FF\\uE000-\\uFFFD]", "?");
    }

    /**
     * Stops receiving (the receive under way ends within its long poll; what it brings is made visible again), waits
     * briefly for running messages, closes the client.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (consumer != null) {
                consumer.close((WAIT_SECONDS + 5) * 1000L);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            sqs.close();
        }
    }
}
