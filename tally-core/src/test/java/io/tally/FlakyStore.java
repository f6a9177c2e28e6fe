package io.tally;

import io.tally.store.JobStore;
import io.tally.store.memory.MemoryJobStore;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real in-memory store behind a switch that makes every call fail as if the store were down: fault injection for
 * the paths that must survive an outage (not a mock: when the switch is off every call reaches the real store).
 */
final class FlakyStore {
    final AtomicBoolean down = new AtomicBoolean();
    final AtomicInteger progressWrites = new AtomicInteger();
    final JobStore store;

    FlakyStore(Clock clock) {
        MemoryJobStore real = new MemoryJobStore(clock);
        InvocationHandler handler = (proxy, method, args) -> {
            if (down.get()
                    && !method.getName().equals("clock")
                    && !method.getName().equals("close")) {
                throw new StoreUnavailableException("store down (injected)");
            }
            if (method.getName().equals("record")) {
                progressWrites.incrementAndGet();
            }
            try {
                return method.invoke(real, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        store = (JobStore)
                Proxy.newProxyInstance(JobStore.class.getClassLoader(), new Class<?>[] {JobStore.class}, handler);
    }
}
