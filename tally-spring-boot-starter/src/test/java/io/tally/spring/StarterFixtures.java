package io.tally.spring;

import org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.metrics.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The application contexts the starter's tests start: the starter's auto-configurations, with or without metrics. */
final class StarterFixtures {
    private StarterFixtures() {}

    /** @return a context with the starter alone (no actuator metrics: no MeterRegistry) */
    static ApplicationContextRunner starter() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(
                        TallyAutoConfiguration.class,
                        TallyMetricsAutoConfiguration.class,
                        TallyHealthAutoConfiguration.class,
                        TallyRunnerAutoConfiguration.class));
    }

    /** @return a context with the starter and the actuator's metrics (a simple MeterRegistry) */
    static ApplicationContextRunner starterWithMetrics() {
        return starter()
                .withConfiguration(AutoConfigurations.of(
                        MetricsAutoConfiguration.class,
                        CompositeMeterRegistryAutoConfiguration.class,
                        SimpleMetricsExportAutoConfiguration.class));
    }
}
