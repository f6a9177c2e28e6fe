package io.tally.spring;

import static io.tally.spring.StarterFixtures.starter;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A bad or missing property fails start-up with a message that names it, and never prints a password. */
class BadPropertiesTest {
    @Test
    void aMissingUrlNamesTallyUrl() {
        starter()
                .run(ctx -> assertThat(ctx)
                        .getFailure()
                        .rootCause()
                        .hasMessageContaining("tally.url")
                        .hasMessageContaining("a store URL is required"));
    }

    @Test
    void aUrlNoStoreTakesNamesTallyUrlMasked() {
        starter().withPropertyValues("tally.url=nosuch://admin:hunter2@host/db").run(ctx -> {
            assertThat(ctx)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("tally.url")
                    .hasMessageContaining("no store for")
                    .hasMessageContaining("admin:***@");
            assertThat(ctx.getStartupFailure()).rootCause().hasMessageNotContaining("hunter2");
        });
    }

    @Test
    void aBlankUrlNamesTallyUrl() {
        starter().withPropertyValues("tally.url= ").run(ctx -> assertFailsOn(ctx.getStartupFailure(), "tally.url"));
    }

    @Test
    void aNegativeSweepIntervalNamesTallySweepEvery() {
        starter()
                .withPropertyValues("tally.url=memory:", "tally.sweep-every=-1s")
                .run(ctx -> assertFailsOn(ctx.getStartupFailure(), "tally.sweep-every"));
    }

    @Test
    void aTooShortSweepIntervalNamesTallySweepEvery() {
        starter()
                .withPropertyValues("tally.url=memory:", "tally.sweep-every=1ms")
                .run(ctx -> assertFailsOn(ctx.getStartupFailure(), "tally.sweep-every"));
    }

    @Test
    void aNegativeStateCountsMaxAgeAndNoWorkerThreadsAreRefused() {
        starter()
                .withPropertyValues("tally.url=memory:", "tally.metrics.state-counts-max-age=-5s")
                .run(ctx -> assertFailsOn(ctx.getStartupFailure(), "tally.metrics.state-counts-max-age"));
        starter()
                .withPropertyValues("tally.url=memory:", "tally.runner.worker-threads=0")
                .run(ctx -> assertFailsOn(ctx.getStartupFailure(), "tally.runner.worker-threads"));
    }

    /** The binder's failure names the property; the setter's cause says what is wrong. */
    private static void assertFailsOn(Throwable failure, String property) {
        assertThat(failure).isNotNull();
        StringBuilder messages = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        assertThat(messages.toString()).contains(property).containsAnyOf("must be", "must not be");
    }
}
