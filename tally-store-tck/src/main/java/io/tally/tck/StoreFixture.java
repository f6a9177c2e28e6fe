package io.tally.tck;

import io.tally.Job;
import io.tally.JobSpec;
import io.tally.Tally;
import io.tally.store.JobStore;
import io.tally.testing.MutableClock;

/** What every contract needs: a Tally over a fresh, empty store of the kind under test, and its clock. */
public interface StoreFixture {
    /** @return a Tally over the store under test */
    Tally tally();

    /** @return the store under test */
    default JobStore store() {
        return tally().storeSpi();
    }

    /** @return the clock the store and the Tally read */
    MutableClock clock();

    /** @return a RUNNING job with the given total */
    default Job running(long total) {
        return tally().create(
                        JobSpec.builder().name("job").total(total).start(true).build());
    }
}
