package io.tally.spring;

import io.tally.Instrumentation;
import io.tally.InvalidInputException;
import io.tally.Tally;
import io.tally.internal.Urls;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.context.annotation.Bean;

/**
 * The {@link Tally} of the application, opened from {@code tally.url}, sweeping every {@code tally.sweep-every} when
 * set, with every {@link Instrumentation} bean (the {@code TallyMetrics} of {@link TallyMetricsAutoConfiguration},
 * a tracing module's) in their order. Backs off when the application defines its own Tally; closed with the context.
 */
@AutoConfiguration
@EnableConfigurationProperties(TallyProperties.class)
public class TallyAutoConfiguration {
    /**
     * @param properties the {@code tally.*} properties
     * @param instrumentation the application's metrics and tracing hooks, first outermost
     * @return the Tally
     * @throws InvalidConfigurationPropertyValueException if {@code tally.url} is missing or no store takes it
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public Tally tally(TallyProperties properties, ObjectProvider<Instrumentation> instrumentation) {
        String url = properties.getUrl();
        if (url == null) {
            throw new InvalidConfigurationPropertyValueException(
                    "tally.url", null, "a store URL is required (e.g. sqlite:tally.db), or define a Tally bean");
        }
        List<Instrumentation> hooks = instrumentation.orderedStream().toList();
        try {
            Tally.Builder b = Tally.builder().url(url).sweepEvery(properties.getSweepEvery());
            hooks.forEach(b::instrumentation);
            return b.build();
        } catch (InvalidInputException e) {
            // The URL is echoed masked: start-up failures end up in logs.
            throw new InvalidConfigurationPropertyValueException("tally.url", Urls.mask(url), e.getMessage());
        }
    }
}
