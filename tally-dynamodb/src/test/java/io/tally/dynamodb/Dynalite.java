package io.tally.dynamodb;

import io.tally.testing.TestServices;
import java.net.URI;
import java.util.UUID;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;

/**
 * The test server (dynalite, see {@link TestServices#dynamodbUrl()}): each test class has a table of its own, each test
 * a namespace of its own in it, and the class drops its table when it is done, so runs leave nothing in the server.
 */
final class Dynalite {
    private Dynalite() {}

    /** @return the URL of a fresh namespace in the table {@code <prefix>jobs} */
    static String isolatedUrl(String prefix) {
        return TestServices.withOption(TestServices.dynamodbUrl(), "table=" + prefix + "&namespace=" + namespace());
    }

    /** @return a fresh namespace */
    static String namespace() {
        return "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    /** @return a client of the test server (the caller closes it) */
    static DynamoDbClient client() {
        URI server = URI.create(TestServices.dynamodbUrl());
        return DynamoDbClient.builder()
                .endpointOverride(URI.create("http://" + server.getHost() + ":" + server.getPort()))
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .httpClient(UrlConnectionHttpClient.create())
                .build();
    }

    /** Drops the table {@code <prefix>jobs} if it is there. */
    static void dropTable(String prefix) {
        try (DynamoDbClient client = client()) {
            client.deleteTable(b -> b.tableName(prefix + "jobs"));
        } catch (ResourceNotFoundException gone) {
            // nothing to drop
        }
    }
}
