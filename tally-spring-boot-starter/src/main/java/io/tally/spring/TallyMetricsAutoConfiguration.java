package io.tally.spring;

import io.micrometer.core.instrument.MeterRegistry;
import io.tally.micrometer.TallyMetrics;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * The {@link TallyMetrics} of the application's Tally, when it has a {@link MeterRegistry} (the actuator's). It is an
 * instrumentation the Tally of {@link TallyAutoConfiguration} is built with, and a {@code MeterBinder} Spring Boot
 * binds to every registry. An application with its own Tally bean builds it with this bean
 * ({@code Tally.builder().instrumentation(metrics)}) for the write counters; the gauges need it too.
 */
@AutoConfiguration(
        afterName = {
            "org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration",
            "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration"
        })
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean(MeterRegistry.class)
@EnableConfigurationProperties(TallyProperties.class)
public class TallyMetricsAutoConfiguration {
    /**
     * @param properties the {@code tally.metrics.*} properties
     * @return the meters of the Tally
     */
    @Bean
    @ConditionalOnMissingBean
    public TallyMetrics tallyMetrics(TallyProperties properties) {
        return TallyMetrics.builder()
                .stateCountsMaxAge(properties.getMetrics().getStateCountsMaxAge())
                .build();
    }
}
