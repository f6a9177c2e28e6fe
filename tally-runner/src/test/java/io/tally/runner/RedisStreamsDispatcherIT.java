package io.tally.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.Consumer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.tally.JobState;
import io.tally.testing.TestServices;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Redis Streams dispatcher against a real Redis, with the memory store shared by runners in this process. */
class RedisStreamsDispatcherIT extends RunnerTestSupport {
    private final AtomicInteger reduces = new AtomicInteger();
    private String url;
    private String stream;
    private RedisClient client;
    private StatefulRedisConnection<String, String> redis;

    @BeforeEach
    void connect() {
        url = TestServices.redisUrl();
        stream = "tally-test:work:" + UUID.randomUUID();
        client = RedisClient.create(url);
        redis = client.connect();
    }

    @AfterEach
    void cleanUp() {
        closeRunners();
        if (redis != null) {
            redis.sync().del(stream, stream + ":dead");
            redis.close();
            client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        }
    }

    private RedisStreamsDispatcher.Builder dispatcher() {
        return RedisStreamsDispatcher.builder(url).stream(stream).group("g").threads(4);
    }

    private static List<Map<String, Object>> parts(int n) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(Map.of("n", i));
        }
        return out;
    }

    private final PartFunction twice = ctx -> ((Number) ctx.payload().get("n")).intValue() * 2;
    private final ReduceFunction sum = ctx -> {
        reduces.incrementAndGet();
        return ctx.results(Integer.class).stream().mapToLong(Integer::longValue).sum();
    };

    @Test
    void twoWorkersShareTheParts() {
        Runner a = track(runner().dispatcher(dispatcher().consumer("a").build())
                .mapReduce("tiles", twice, sum, MapReduceOptions.defaults())
                .build());
        track(runner().dispatcher(dispatcher().consumer("b").build())
                .mapReduce("tiles", twice, sum, MapReduceOptions.defaults())
                .build());

        MapReduceJob job = a.mapReduce("tiles", parts(300));

        assertThat(job.await(Duration.ofSeconds(60))).isTrue();
        assertThat(job.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(job.result(Long.class)).contains(299L * 300);
        assertThat(reduces).hasValue(1);
        // The job settles inside the handler of the last entry; that entry is acknowledged (and
        // deleted) only after its handler returns, so wait for it rather than read at once.
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(redis.sync().xlen(stream))
                        .as("acknowledged entries are deleted")
                        .isZero());
    }

    @Test
    void entriesPendingWithADeadConsumerAreReclaimedAfterClaimIdle() {
        // Publish only; a "dead" consumer then reads every entry and never acknowledges it.
        Runner publisher = track(runner().dispatcher(dispatcher().consume(false).build())
                .mapReduce("tiles", twice, sum, MapReduceOptions.defaults())
                .build());
        MapReduceJob job = publisher.mapReduce("tiles", parts(20));
        var taken = redis.sync()
                .xreadgroup(
                        Consumer.from("g", "dead"),
                        XReadArgs.Builder.count(100),
                        XReadArgs.StreamOffset.lastConsumed(stream));
        assertThat(taken).hasSize(20);

        track(runner().dispatcher(dispatcher()
                        .consumer("alive")
                        .claimIdle(Duration.ofMillis(300))
                        .build())
                .mapReduce("tiles", twice, sum, MapReduceOptions.defaults())
                .build());

        assertThat(job.await(Duration.ofSeconds(60))).isTrue();
        assertThat(job.result(Long.class)).contains(19L * 20);
        assertThat(reduces).hasValue(1);
        // (a part's entry is acknowledged after its completion, so the last one's may be a moment behind the reduce)
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(
                        () -> assertThat(redis.sync().xpending(stream, "g").getCount())
                                .as("every entry acknowledged")
                                .isZero());
    }

    @Test
    void aPoisonMessageGoesToTheDeadLetterStreamAfterMaxDeliveriesAndFailsTheJob() {
        PartFunction poison = ctx -> {
            if (ctx.part() == 1) {
                throw new IllegalStateException("poison part always fails");
            }
            return 0;
        };
        Runner runner = track(runner().dispatcher(dispatcher().maxDeliveries(3).build())
                .mapReduce("tiles", poison, sum, MapReduceOptions.defaults().maxAttempts(10))
                .build());

        MapReduceJob job = runner.mapReduce("tiles", parts(3));

        assertThat(job.await(Duration.ofSeconds(30))).isTrue();
        assertThat(job.state()).isEqualTo(JobState.FAILED);
        assertThat(job.error().orElseThrow().message())
                .isEqualTo("part 1 of tiles job " + job.id() + " was dead-lettered to stream '" + stream
                        + ":dead' after 3 deliveries: java.lang.IllegalStateException: poison part always fails");
        var dead = redis.sync().xrange(stream + ":dead", io.lettuce.core.Range.create("-", "+"));
        assertThat(dead).hasSize(1);
        assertThat(WorkMessage.fromJson(dead.get(0).getBody().get("message")))
                .isEqualTo(new WorkMessage(
                        WorkMessage.MAP, "tiles", job.id(), 1, 3, Map.of("n", 1, "jobId", job.id(), "partId", 1)));
        assertThat(reduces).hasValue(0);
    }

    @Test
    void aPublishErrorFailsMapReduceLoudly() {
        Runner runner = track(runner().dispatcher(dispatcher().consume(false).build())
                .mapReduce("tiles", twice, sum, MapReduceOptions.defaults())
                .build());
        redis.sync().del(stream);
        redis.sync().set(stream, "not a stream"); // every XADD now fails with WRONGTYPE

        assertThatThrownBy(() -> runner.mapReduce("tiles", parts(3)))
                .isInstanceOf(DispatchException.class)
                .hasMessageContaining("XADD");
        var job = tally.query(io.tally.JobQuery.builder().name("tiles").build())
                .items()
                .get(0);
        assertThat(job.state()).isEqualTo(JobState.FAILED);
    }
}
