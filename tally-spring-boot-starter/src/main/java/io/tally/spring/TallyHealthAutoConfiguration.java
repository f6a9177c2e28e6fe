package io.tally.spring;

import io.tally.Tally;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The actuator's {@code tally} health component ({@link TallyHealthIndicator}), when the application has the
 * actuator; {@code management.health.tally.enabled=false} turns it off.
 */
@AutoConfiguration(after = TallyAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(Tally.class)
@ConditionalOnEnabledHealthIndicator("tally")
public class TallyHealthAutoConfiguration {
    /**
     * @param tally the application's Tally
     * @param properties where {@code tally.url} is read for the details, masked
     * @return the health indicator
     */
    @Bean
    @ConditionalOnMissingBean(name = "tallyHealthIndicator")
    public TallyHealthIndicator tallyHealthIndicator(Tally tally, TallyProperties properties) {
        return new TallyHealthIndicator(tally, properties.getUrl());
    }
}
