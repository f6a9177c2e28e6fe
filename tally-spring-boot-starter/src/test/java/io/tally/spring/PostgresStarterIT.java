package io.tally.spring;

import static io.tally.spring.StarterFixtures.starterWithMetrics;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.tally.JobSpec;
import io.tally.Tally;
import io.tally.testing.TestServices;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.health.Status;

/**
 * The starter on PostgreSQL (skipped when none answers, failed with {@code TALLY_REQUIRE_SERVICES=1}): the Tally, its
 * health and its meters. Each run writes to a schema of its own, dropped after, so other runs on the database do not
 * disturb it.
 */
class PostgresStarterIT {
    @Test
    void tallyHealthAndMetersOnPostgres() {
        String prefix =
                "starter_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE) + "_";
        String url = TestServices.withOption(TestServices.postgresUrl(), "tablePrefix=" + prefix);
        starterWithMetrics()
                .withPropertyValues("tally.url=" + url, "tally.metrics.state-counts-max-age=0s")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    Tally tally = ctx.getBean(Tally.class);
                    tally.create(JobSpec.builder().name("a").build());
                    tally.create(JobSpec.builder().name("b").start(true).build())
                            .finish();

                    assertThat(ctx.getBean(TallyHealthIndicator.class).health().getStatus())
                            .isEqualTo(Status.UP);
                    MeterRegistry registry = ctx.getBean(MeterRegistry.class);
                    assertThat(registry.get("tally.jobs")
                                    .tag("state", "PENDING")
                                    .gauge()
                                    .value())
                            .isEqualTo(1);
                    assertThat(registry.get("tally.jobs")
                                    .tag("state", "SUCCEEDED")
                                    .gauge()
                                    .value())
                            .isEqualTo(1);
                    assertThat(registry.get("tally.job.duration")
                                    .tag("state", "SUCCEEDED")
                                    .timer()
                                    .count())
                            .isEqualTo(1);
                });
    }
}
