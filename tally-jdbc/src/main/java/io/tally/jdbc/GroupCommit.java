package io.tally.jdbc;

import java.util.Queue;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.LockSupport;

/**
 * Group commit by flat combining: callers queue their calls; whichever caller gets the lock sends every queued call it
 * can in one statement or transaction and answers them, and the callers it served return without ever taking the lock.
 * Waiting callers are parked and woken by their answer, so a batch of answers does not turn into a convoy of callers
 * each taking the lock only to find it has nothing to do.
 */
final class GroupCommit {
    private GroupCommit() {}

    /** A queued call: done once answered, which wakes its caller. */
    abstract static class Call {
        final Thread caller = Thread.currentThread();
        private volatile Object answer;

        boolean isDone() {
            return answer != null;
        }

        /** @return the answer: a result, or the exception to throw */
        Object answer() {
            return answer;
        }

        void answer(Object a) {
            answer = a;
            LockSupport.unpark(caller);
        }
    }

    /**
     * Returns once {@code mine} is answered: by this thread, which runs {@code lead} (sending queued calls, {@code mine}
     * among them sooner or later) while it holds {@code lock}, or by another.
     */
    static void await(Call mine, Queue<? extends Call> queue, Lock lock, Runnable lead) {
        while (!mine.isDone()) {
            if (lock.tryLock()) {
                try {
                    while (!mine.isDone()) {
                        // The callers the last batch answered need a core to queue their next calls; where there are
                        // more callers than cores they would not have run yet. One yield lets them (16 callers on 2
                        // cores: SQLite batches of ~15 writes instead of ~4, ~1.5x the writes a second); with no one
                        // else to run it returns at once.
                        Thread.yield();
                        lead.run();
                    }
                } finally {
                    lock.unlock();
                }
                Call next = queue.peek();
                if (next != null) {
                    LockSupport.unpark(next.caller); // it leads the next batch
                }
            } else {
                // Woken when answered or to lead; the bound covers a lock held by another kind of write.
                LockSupport.parkNanos(GroupCommit.class, 1_000_000L);
            }
        }
    }
}
