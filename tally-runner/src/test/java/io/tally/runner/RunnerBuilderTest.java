package io.tally.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.InvalidInputException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Misuse of the runner's and the dispatcher's builders is the programmer's (NullPointerException,
 * IllegalArgumentException, IllegalStateException), as is misuse of the option objects; the worker's command-line
 * options and the values of definitions are input.
 */
class RunnerBuilderTest extends RunnerTestSupport {
    private static final BuildFunction NOP = ctx -> null;

    @Test
    void runnerBuilderMisuseIsTheProgrammers() {
        assertThatThrownBy(() -> Runner.builder(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> runner().define("a", NOP, null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> runner().define("a", null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> runner().definitions(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> runner().executor(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> runner().mapReduce("m", null, results -> null, MapReduceOptions.defaults()))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> runner().workerThreads(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("workerThreads must be at least 1, was 0");
        assertThatThrownBy(() -> runner().logBatchSize(10_001)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> runner().logFlushInterval(Duration.ofMillis(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> runner().heartbeat(Duration.ofMillis(1))).isInstanceOf(IllegalArgumentException.class);

        Runner.Builder b = runner().define("a", NOP).captureLogs(false);
        track(b.build());
        assertThatThrownBy(b::build).isInstanceOf(IllegalStateException.class).hasMessageContaining("already");
    }

    @Test
    @SuppressWarnings("unchecked")
    void optionObjectMisuseIsTheProgrammers() {
        assertThatThrownBy(() -> MapReduceOptions.failJobOn((Class<? extends Throwable>[]) null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("failJobOn");
        assertThatThrownBy(() -> MapReduceOptions.failJobOn(RuntimeException.class, null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("failJobOn[1]");
        assertThatThrownBy(() -> MapReduceOptions.defaults().toleratedFailures(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("toleratedFailures must not be negative, was -1");
        assertThatThrownBy(() -> MapReduceOptions.defaults().maxAttempts(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxAttempts must be at least 1, was 0");

        assertThatThrownBy(() -> LogRetention.defaults().maxLines(null, 1))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("level");
        assertThatThrownBy(() -> LogRetention.defaults().maxLines(org.slf4j.event.Level.DEBUG, -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxLines of DEBUG must not be negative, was -1");

        assertThatThrownBy(() -> new InProcessDispatcher(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("threads must be at least 1, was 0");
        assertThatThrownBy(() -> new InProcessDispatcher(null, 3))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("executor");
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            assertThatThrownBy(() -> new InProcessDispatcher(pool, 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("maxDeliveries must be at least 1, was 0");
        } finally {
            pool.shutdownNow();
        }

        assertThatThrownBy(() -> BuildOptions.defaults().params(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("params");
        Runner r = track(runner().define("a", NOP).captureLogs(false).build());
        assertThatThrownBy(() -> r.build("a", null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("options");
        assertThatThrownBy(() -> r.build("nope", BuildOptions.defaults()))
                .as("an unknown definition is still input")
                .isInstanceOf(InvalidInputException.class);

        DefinitionOptions o = Definition.options();
        assertThatThrownBy(() -> Definition.dependsOn((String[]) null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> o.params(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> o.param(null, 1)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> o.secretParams((String[]) null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> o.cleanup(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> o.title(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> o.tags((String[]) null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> o.timeout(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> o.version(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("version");
        // Bad values stay input: definitions may come from a file.
        assertThatThrownBy(() -> o.timeout(Duration.ZERO))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("timeout: must be positive, was PT0S");
        assertThatThrownBy(() -> o.tags("ok", null)).isInstanceOf(InvalidInputException.class);
    }

    @Test
    void dispatcherBuilderMisuseIsTheProgrammers() {
        RedisStreamsDispatcher.Builder b = RedisStreamsDispatcher.builder("redis://127.0.0.1:1");
        assertThatThrownBy(() -> b.stream(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.group(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> b.threads(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.claimIdle(Duration.ofMillis(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("claimIdle must be at least 100 ms, was PT0.001S");
        assertThatThrownBy(() -> RedisStreamsDispatcher.builder(" ")).isInstanceOf(InvalidInputException.class);
    }

    @Test
    void theWorkersOptionsAreInput() {
        assertThatThrownBy(() -> Worker.main(
                        new String[] {"--store", "memory:", "--redis", "redis://127.0.0.1:1", "--claim-idle", "PT0.01S"
                        }))
                .isInstanceOf(InvalidInputException.class)
                .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo("--claim-idle"));
        assertThatThrownBy(() -> Worker.main(
                        new String[] {"--store", "memory:", "--redis", "redis://127.0.0.1:1", "--threads", "many"}))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("--threads: ");
    }
}
