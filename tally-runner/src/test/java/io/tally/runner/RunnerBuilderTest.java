package io.tally.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.InvalidInputException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Misuse of the runner's and the dispatcher's builders is the programmer's (NullPointerException,
 * IllegalArgumentException, IllegalStateException); the worker's command-line options are input.
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
