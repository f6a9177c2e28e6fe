package io.tally.spring;

import io.tally.Tally;
import io.tally.runner.Definition;
import io.tally.runner.Runner;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * A {@link Runner} of the application's {@link Definition} beans ({@code Definition.of(id, function, options)}) on
 * its Tally, when tally-runner is on the class path and there is at least one; {@link RunnerCustomizer} beans add the
 * rest. Backs off when the application defines its own Runner; closed with the context.
 */
@AutoConfiguration(after = TallyAutoConfiguration.class)
@ConditionalOnClass(Runner.class)
@ConditionalOnBean({Tally.class, Definition.class})
public class TallyRunnerAutoConfiguration {
    /**
     * @param tally the Tally the builds are tracked in
     * @param definitions the application's definitions, in their order
     * @param customizers what the application adds to the builder
     * @param properties the {@code tally.runner.*} properties
     * @return the runner
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public Runner tallyRunner(
            Tally tally,
            ObjectProvider<Definition> definitions,
            ObjectProvider<RunnerCustomizer> customizers,
            TallyProperties properties) {
        Runner.Builder b = Runner.builder(tally);
        definitions.orderedStream().forEach(b::define);
        TallyProperties.RunnerSettings settings = properties.getRunner();
        if (settings.getWorkerThreads() != null) {
            b.workerThreads(settings.getWorkerThreads());
        }
        b.captureLogs(settings.isCaptureLogs());
        customizers.orderedStream().forEach(c -> c.customize(b));
        return b.build();
    }
}
