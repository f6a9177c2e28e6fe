package io.tally.runner;

import io.tally.TallyException;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition another process may make true (a job ending), polling the store with a backoff from 1 ms to
 * 100 ms. Used only where no local completion signal exists.
 */
final class Waiter {
    private Waiter() {}

    /** @return true once {@code done} holds; false if {@code timeout} (null: none) passed first */
    static boolean until(BooleanSupplier done, Duration timeout) {
        long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        long pause = 1_000_000;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            LockSupport.parkNanos(pause);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new TallyException("interrupted while waiting");
            }
            pause = Math.min(pause * 2, 100_000_000);
        }
        return true;
    }
}
