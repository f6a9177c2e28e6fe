package io.tally.tck;

import io.tally.Tally;
import io.tally.store.JobStore;
import io.tally.testing.MutableClock;
import java.time.Clock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The conformance kit. A store proves it keeps Tally's rules by extending this class and saying how to open it:
 *
 * <pre>{@code
 * class MyStoreTest extends JobStoreTck {
 *     protected JobStore openStore(Clock clock) { return new MyStore(url, clock); }
 * }
 * }</pre>
 *
 * Every contract is an interface of default test methods; this class runs them all. {@link #openStore} is called
 * before each test and must return an <em>empty, isolated</em> store (a fresh file, schema, prefix or namespace): the
 * kit asserts exact counts. A store that lacks a capability overrides the matching {@code supports…()} method, and the
 * tests that need it are skipped through JUnit {@code Assumptions}, never passed silently.
 */
public abstract class JobStoreTck
        implements LifecycleContract,
                ProgressContract,
                PartsContract,
                QueryContract,
                SweepContract,
                EventsContract,
                InputContract,
                ReporterContract,
                LogsContract,
                ConcurrencyContract,
                ModelContract {

    private MutableClock clock;
    private Tally tally;

    /**
     * @param clock the clock the store must take every time from
     * @return a fresh, empty store
     */
    protected abstract JobStore openStore(Clock clock);

    @BeforeEach
    final void openTally() {
        clock = MutableClock.startingNow();
        tally = Tally.builder().store(openStore(clock)).clock(clock).build();
    }

    @AfterEach
    final void closeTally() {
        if (tally != null) {
            tally.close();
        }
    }

    @Override
    public final Tally tally() {
        return tally;
    }

    @Override
    public final MutableClock clock() {
        return clock;
    }
}
