package io.tally.spring;

import static io.tally.spring.StarterFixtures.starter;
import static io.tally.spring.StarterFixtures.starterWithMetrics;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.tally.Job;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.Tally;
import io.tally.micrometer.TallyMetrics;
import io.tally.runner.Build;
import io.tally.runner.Definition;
import io.tally.runner.Runner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.actuate.health.Status;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The starter on SQLite: properties, the Tally and its sweeper, health, meters, the Runner, and user beans winning. */
class TallyAutoConfigurationTest {
    @TempDir
    Path dir;

    String url() {
        return "sqlite:" + dir.resolve("tally.db");
    }

    @Test
    void propertiesAreBoundAndTheTallyOpensTheirStore() {
        starter()
                .withPropertyValues(
                        "tally.url=" + url(),
                        "tally.sweep-every=2s",
                        "tally.metrics.state-counts-max-age=0s",
                        "tally.runner.worker-threads=3",
                        "tally.runner.capture-logs=false")
                .run(ctx -> {
                    TallyProperties p = ctx.getBean(TallyProperties.class);
                    assertThat(p.getUrl()).isEqualTo(url());
                    assertThat(p.getSweepEvery()).isEqualTo(Duration.ofSeconds(2));
                    assertThat(p.getMetrics().getStateCountsMaxAge()).isZero();
                    assertThat(p.getRunner().getWorkerThreads()).isEqualTo(3);
                    assertThat(p.getRunner().isCaptureLogs()).isFalse();

                    ctx.getBean(Tally.class).create(JobSpec.builder().name("a").build());
                    assertThat(Files.exists(dir.resolve("tally.db"))).isTrue();
                    assertThat(ctx).doesNotHaveBean(TallyMetrics.class).doesNotHaveBean(Runner.class);
                });
    }

    @Test
    void theSweeperRunsEverySweepEvery() {
        starter()
                .withPropertyValues("tally.url=" + url(), "tally.sweep-every=50ms")
                .run(ctx -> {
                    Job late = ctx.getBean(Tally.class)
                            .create(JobSpec.builder()
                                    .name("late")
                                    .start(true)
                                    .timeout(Duration.ofMillis(10))
                                    .build());
                    await().atMost(Duration.ofSeconds(10))
                            .until(() -> late.snapshot().state() == JobState.FAILED);
                });
    }

    @Test
    void withoutSweepEveryNothingSweeps() {
        starter().withPropertyValues("tally.url=" + url()).run(ctx -> {
            assertThat(ctx.getBean(TallyProperties.class).getSweepEvery()).isNull();
            // A sweeper of an earlier test may still be ending; one of this context would never end.
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> Thread.getAllStackTraces().keySet().stream()
                            .noneMatch(t -> t.getName().equals("tally-sweeper")));
        });
    }

    @Test
    void healthIsUpWhenTheStoreAnswers() {
        starter().withPropertyValues("tally.url=" + url()).run(ctx -> {
            var health = ctx.getBean(TallyHealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("store", url());
        });
    }

    @Test
    void healthIsDownWithAMaskedReasonWhenNothingAnswers() {
        // migrate=false: the store opens without its database (one that answered at start-up and went away since).
        String down = "postgresql://postgres:s3cret@127.0.0.1:1/test?connectTimeout=300&migrate=false";
        starter().withPropertyValues("tally.url=" + down).run(ctx -> {
            assertThat(ctx).hasNotFailed();
            var health = ctx.getBean(TallyHealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.DOWN);
            assertThat(health.getDetails()).containsKey("error");
            assertThat(health.getDetails().toString()).doesNotContain("s3cret");
            assertThat(health.getDetails())
                    .containsEntry(
                            "store", "postgresql://postgres:***@127.0.0.1:1/test?connectTimeout=300&migrate=false");
        });
    }

    @Test
    void healthCanBeTurnedOff() {
        starter()
                .withPropertyValues("tally.url=" + url(), "management.health.tally.enabled=false")
                .run(ctx -> assertThat(ctx).doesNotHaveBean(TallyHealthIndicator.class));
    }

    @Test
    void metersAreRegisteredWhenThereIsAMeterRegistry() {
        starterWithMetrics()
                .withPropertyValues("tally.url=" + url(), "tally.metrics.state-counts-max-age=0s")
                .run(ctx -> {
                    assertThat(ctx).hasSingleBean(TallyMetrics.class);
                    Tally tally = ctx.getBean(Tally.class);
                    Job job =
                            tally.create(JobSpec.builder().name("a").start(true).build());
                    job.recordSuccess();
                    job.recordSuccess();
                    job.recordFailure();

                    MeterRegistry registry = ctx.getBean(MeterRegistry.class);
                    assertThat(registry.get("tally.records")
                                    .tag("outcome", "succeeded")
                                    .functionCounter()
                                    .count())
                            .isEqualTo(2);
                    assertThat(registry.get("tally.jobs")
                                    .tag("state", "RUNNING")
                                    .gauge()
                                    .value())
                            .isEqualTo(1);
                    assertThat(registry.find("tally.job.duration").timers()).hasSize(4);
                });
    }

    @Test
    void definitionBeansBecomeARunner() {
        starter()
                .withPropertyValues("tally.url=" + url())
                .withUserConfiguration(Definitions.class)
                .run(ctx -> {
                    Runner runner = ctx.getBean(Runner.class);
                    assertThat(runner.definitions()).extracting(Definition::id).containsExactly("fetch", "parse");
                    assertThat(runner.tally()).isSameAs(ctx.getBean(Tally.class));

                    assertThat(runner.build("fetch").await().state()).isEqualTo(JobState.SUCCEEDED);
                    Build parse = runner.build("parse").await();
                    assertThat(parse.state()).isEqualTo(JobState.SUCCEEDED);
                    assertThat(parse.result(String.class)).contains("parsed fetched");
                    assertThat(ctx.getBean(Customized.class).called).isTrue();
                });
    }

    @Test
    void userBeansWin() {
        try (Tally own = Tally.open("memory:")) {
            TallyMetrics ownMetrics = new TallyMetrics();
            TallyHealthIndicator ownHealth = new TallyHealthIndicator(own, null);
            starterWithMetrics()
                    .withUserConfiguration(Definitions.class)
                    .withBean("tallyHealthIndicator", TallyHealthIndicator.class, () -> ownHealth)
                    .withBean(Tally.class, () -> own, d -> d.setDestroyMethodName(""))
                    .withBean(TallyMetrics.class, () -> ownMetrics)
                    .withBean(Runner.class, () -> Runner.builder(own).build())
                    .run(ctx -> {
                        assertThat(ctx).hasNotFailed();
                        assertThat(ctx.getBean(Tally.class)).isSameAs(own);
                        assertThat(ctx.getBean(TallyMetrics.class)).isSameAs(ownMetrics);
                        assertThat(ctx.getBean(TallyHealthIndicator.class)).isSameAs(ownHealth);
                        assertThat(ctx.getBean(Runner.class).definitions())
                                .as("the application's Runner, not one of its definitions")
                                .isEmpty();
                    });
        }
    }

    @Test
    void configurationMetadataIsGeneratedForIdeCompletion() throws Exception {
        try (var in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertThat(in).isNotNull();
            String json = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            for (String name : List.of(
                    "tally.url",
                    "tally.sweep-every",
                    "tally.metrics.state-counts-max-age",
                    "tally.runner.worker-threads",
                    "tally.runner.capture-logs")) {
                assertThat(json).contains("\"" + name + "\"");
            }
            assertThat(json).contains("The store URL");
        }
    }

    /** Two definitions, one depending on the other, and a customizer. */
    @Configuration(proxyBeanMethods = false)
    static class Definitions {
        @Bean
        Definition fetch() {
            return Definition.of("fetch", ctx -> "fetched", Definition.options());
        }

        @Bean
        Definition parse() {
            return Definition.of(
                    "parse",
                    ctx -> "parsed " + ctx.dependencyResult("fetch", String.class),
                    Definition.dependsOn("fetch"));
        }

        @Bean
        Customized customized() {
            return new Customized();
        }
    }

    /** A RunnerCustomizer that notes it was called. */
    static class Customized implements RunnerCustomizer {
        volatile boolean called;

        @Override
        public void customize(Runner.Builder builder) {
            called = true;
        }
    }
}
