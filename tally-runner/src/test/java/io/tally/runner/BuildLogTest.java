package io.tally.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.Tally;
import io.tally.store.JobStore;
import io.tally.store.NewJob;
import io.tally.store.memory.MemoryJobStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

class BuildLogTest {

    @Test
    void theStoreLoggingWhileTheFlusherWaitsForItDoesNotDeadlock() throws Exception {
        // A store takes its own lock around appendLogs, and logs (e.g. its connection pool on closing a connection)
        // while holding that lock on another thread, whose log lines come back to the same build log. The flusher
        // waits for the store's lock; the logging thread must not wait for the flusher.
        MemoryJobStore memory = new MemoryJobStore(Clock.systemUTC());
        memory.create(new NewJob("j", "n", null, null, "{}", 0, true, List.of(), 0, null, null, null, null));
        ReentrantLock storeLock = new ReentrantLock();
        CountDownLatch flusherInStore = new CountDownLatch(1);
        JobStore store = (JobStore) Proxy.newProxyInstance(
                JobStore.class.getClassLoader(), new Class<?>[] {JobStore.class}, (proxy, method, args) -> {
                    try {
                        if (!method.getName().equals("appendLogs")) {
                            return method.invoke(memory, args);
                        }
                        flusherInStore.countDown();
                        storeLock.lock();
                        try {
                            return method.invoke(memory, args);
                        } finally {
                            storeLock.unlock();
                        }
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        Tally tally = Tally.builder().store(store).build();
        BuildLog log = BuildLog.open(tally.get("j"), Clock.systemUTC(), LogRetention.unlimited(), 2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            log.append(Level.INFO, "app", "one");
            storeLock.lock(); // the store's thread, busy inside the store
            Future<?> flusher = pool.submit(log::flush);
            flusherInStore.await(10, TimeUnit.SECONDS);
            Future<?> storeThreadLogs = pool.submit(() -> {
                log.append(Level.DEBUG, "com.zaxxer.hikari.pool.PoolBase", "reset connection state");
                log.append(Level.DEBUG, "com.zaxxer.hikari.pool.PoolBase", "a full batch");
            });
            storeThreadLogs.get(10, TimeUnit.SECONDS); // before the fix: blocked on the flusher's monitor for good
            storeLock.unlock();
            flusher.get(10, TimeUnit.SECONDS);
            log.close();
        } finally {
            pool.shutdownNow();
        }
        assertThat(memory.logs("j", 0, 100))
                .extracting(io.tally.store.LogEntry::message)
                .containsExactly("one", "reset connection state", "a full batch");
    }
}
