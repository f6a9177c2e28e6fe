package io.tally;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class TallyBuilderTest {

    @Test
    void aSweepIntervalUnderTenMillisIsRefused() {
        assertThatThrownBy(() -> Tally.builder().sweepEvery(Duration.ofMillis(9)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sweepEvery");
        assertThatThrownBy(() -> Tally.builder().sweepEvery(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void closingATallyStopsItsSweeperThread() {
        Tally tally =
                Tally.builder().url("memory:").sweepEvery(Duration.ofMillis(10)).build();
        assertThat(sweeperThreads()).isPositive();
        tally.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> sweeperThreads() == 0);
    }

    @Test
    void aBuilderBuildsOneTallySoThatNoStoreIsClosedTwice() {
        Tally.Builder builder = Tally.builder().url("memory:");
        try (Tally first = builder.build()) {
            assertThatThrownBy(builder::build)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("built its Tally already");
            first.ping(); // the first one still works
        }
    }

    private static long sweeperThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("tally-sweeper") && t.isAlive())
                .count();
    }
}
