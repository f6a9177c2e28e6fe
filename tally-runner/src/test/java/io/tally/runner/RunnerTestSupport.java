package io.tally.runner;

import io.tally.Tally;
import io.tally.store.memory.MemoryJobStore;
import io.tally.testing.MutableClock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A memory store on a controlled clock, and runners closed after each test. */
abstract class RunnerTestSupport {
    MutableClock clock;
    Tally tally;
    private final List<Runner> runners = new ArrayList<>();

    @BeforeEach
    void openTally() {
        clock = MutableClock.startingNow();
        tally = Tally.builder().store(new MemoryJobStore(clock)).build();
    }

    @AfterEach
    void closeAll() {
        closeRunners();
        tally.close();
    }

    /** Closes the runners (idempotent), e.g. before a test removes what their dispatchers read. */
    void closeRunners() {
        runners.forEach(Runner::close);
        runners.clear();
    }

    Runner track(Runner r) {
        runners.add(r);
        return r;
    }

    Runner.Builder runner() {
        return Runner.builder(tally);
    }
}
