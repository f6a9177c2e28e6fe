package io.tally.dynamodb;

import io.tally.InvalidInputException;
import io.tally.StoreUnavailableException;
import io.tally.internal.Urls;
import io.tally.store.JobStore;
import io.tally.store.JobStoreProvider;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClientBuilder;

/**
 * Opens DynamoDB stores by URL:
 *
 * <ul>
 *   <li>{@code dynamodb://HOST:PORT?region=REGION&table=PREFIX}: a DynamoDB-compatible server at that endpoint over
 *       plain http (a local server such as dynalite). Credentials from the SDK's default chain, or, when it finds
 *       none, a dummy static pair (such servers do not check signatures). {@code region} defaults to
 *       {@code us-east-1};
 *   <li>{@code dynamodb:?region=REGION&table=PREFIX}: the AWS endpoint of the region, with the SDK's default
 *       credential chain (environment, profile, container or instance role); without {@code region}, the SDK's
 *       default region chain.
 * </ul>
 *
 * <p>{@code table=PREFIX} names the table {@code PREFIX jobs} (default {@code tally_}); {@code namespace=NAME} keeps
 * this store's jobs apart from other stores' in the same table; {@code timeout=SECONDS} bounds each request's
 * attempt (default 10). An application with its own {@code DynamoDbClient} uses {@link DynamoDbJobStore#builder()}.
 */
public final class DynamoDbJobStoreProvider implements JobStoreProvider {
    private static final Logger log = LoggerFactory.getLogger(DynamoDbJobStoreProvider.class);

    @Override
    public boolean supports(String url) {
        return url != null && url.startsWith("dynamodb:");
    }

    @Override
    public List<String> schemes() {
        return List.of("dynamodb");
    }

    @Override
    public JobStore open(String url, Clock clock) {
        if (!supports(url)) {
            throw new InvalidInputException(
                    "url", "expected dynamodb://host:port?… or dynamodb:?…, was " + Urls.mask(url));
        }
        String rest = url.substring("dynamodb:".length());
        int q = rest.indexOf('?');
        String where = q < 0 ? rest : rest.substring(0, q);
        String region = null;
        String prefix = "tally_";
        String namespace = "";
        Duration timeout = Duration.ofSeconds(10);
        if (q >= 0) {
            for (String param : rest.substring(q + 1).split("&")) {
                if (param.isEmpty()) {
                    continue;
                }
                int eq = param.indexOf('=');
                String name = eq < 0 ? param : param.substring(0, eq);
                String value = eq < 0 ? "" : URLDecoder.decode(param.substring(eq + 1), StandardCharsets.UTF_8);
                switch (name) {
                    case "region" -> region = require(name, value, "[a-z0-9-]{1,64}");
                    case "table" -> prefix = require(name, value, "[A-Za-z0-9_.-]{0,200}");
                    case "namespace" -> namespace = require(name, value, "[A-Za-z0-9_-]{0,64}");
                    case "timeout" -> {
                        require(name, value, "[0-9]{1,4}");
                        timeout = Duration.ofSeconds(Long.parseLong(value));
                        if (timeout.isZero()) {
                            throw new InvalidInputException("url", "timeout: at least 1 second");
                        }
                    }
                    default ->
                        throw new InvalidInputException(
                                "url",
                                "unknown parameter " + name + " (known: region, table, namespace, timeout) in "
                                        + Urls.mask(url));
                }
            }
        }
        Duration attempt = timeout;
        DynamoDbClientBuilder b = DynamoDbClient.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(5))
                        .socketTimeout(attempt))
                .overrideConfiguration(o -> o.apiCallAttemptTimeout(attempt).apiCallTimeout(attempt.multipliedBy(3)));
        if (where.isEmpty()) {
            if (region != null) {
                b.region(Region.of(region));
            }
            b.credentialsProvider(DefaultCredentialsProvider.builder().build());
        } else if (where.startsWith("//")) {
            URI endpoint;
            try {
                endpoint = URI.create("http:" + where);
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException("url", "not a host:port: " + Urls.mask(url));
            }
            if (endpoint.getHost() == null
                    || endpoint.getPort() < 1
                    || !(endpoint.getPath().isEmpty() || endpoint.getPath().equals("/"))) {
                throw new InvalidInputException("url", "expected dynamodb://HOST:PORT?…, was " + Urls.mask(url));
            }
            b.endpointOverride(URI.create("http://" + endpoint.getHost() + ":" + endpoint.getPort()));
            b.region(Region.of(region == null ? "us-east-1" : region));
            b.credentialsProvider(localCredentials());
        } else {
            throw new InvalidInputException(
                    "url", "expected dynamodb://HOST:PORT?… or dynamodb:?…, was " + Urls.mask(url));
        }
        DynamoDbClient client;
        try {
            client = b.build();
        } catch (SdkException e) {
            throw new StoreUnavailableException(
                    "DynamoDB: cannot make a client for " + Urls.mask(url) + ": " + e.getMessage(), e);
        }
        try {
            return DynamoDbJobStore.builder()
                    .client(client)
                    .closeClient(true)
                    .tablePrefix(prefix)
                    .namespace(namespace)
                    .clock(clock)
                    .build();
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    private static String require(String name, String value, String pattern) {
        if (!value.matches(pattern)) {
            throw new InvalidInputException("url", name + ": must match " + pattern + ", was " + value);
        }
        return value;
    }

    /**
     * The default chain when it finds credentials, else a dummy static pair: a local DynamoDB-compatible server does
     * not check signatures, and a developer should not need AWS credentials to use one.
     */
    private static AwsCredentialsProvider localCredentials() {
        DefaultCredentialsProvider chain = DefaultCredentialsProvider.builder().build();
        try {
            chain.resolveCredentials();
            return chain;
        } catch (SdkException | IllegalStateException none) {
            log.debug("no AWS credentials found for a local DynamoDB endpoint; signing with a dummy pair");
            return StaticCredentialsProvider.create(AwsBasicCredentials.create("tally", "local"));
        }
    }
}
