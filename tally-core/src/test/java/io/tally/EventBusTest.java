package io.tally;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tally.store.JobStore;
import io.tally.store.memory.MemoryJobStore;
import io.tally.testing.MutableClock;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EventBusTest {
    private final AtomicInteger open = new AtomicInteger();
    private final JobStore store = counting(new MemoryJobStore(MutableClock.startingNow()));
    private final Tally tally = Tally.builder().store(store).build();

    /** The memory store, counting its open event feeds (subscribe opens one, closing its handle ends it). */
    private JobStore counting(MemoryJobStore real) {
        return (JobStore) Proxy.newProxyInstance(
                JobStore.class.getClassLoader(), new Class<?>[] {JobStore.class}, (proxy, method, args) -> {
                    try {
                        Object r = method.invoke(real, args);
                        if (method.getName().equals("subscribe")) {
                            open.incrementAndGet();
                            AutoCloseable feed = (AutoCloseable) r;
                            return (AutoCloseable) () -> {
                                open.decrementAndGet();
                                feed.close();
                            };
                        }
                        return r;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void theStoreFeedLivesAsLongAsOneSubscriptionDoes() {
        List<JobEvent> heard = new CopyOnWriteArrayList<>();
        Subscription first = tally.subscribe(EventFilter.all(), heard::add);
        Subscription second = tally.subscribe(EventFilter.all(), e -> {});
        assertThat(open).hasValue(1);
        first.close();
        assertThat(open).as("one subscription left").hasValue(1);
        second.close();
        assertThat(open).as("nobody listens").hasValue(0);

        Subscription again = tally.subscribe(EventFilter.all(), heard::add);
        assertThat(open).hasValue(1);
        tally.create(JobSpec.builder().name("after").build());
        await().atMost(Duration.ofSeconds(5)).until(() -> !heard.isEmpty());
        assertThat(heard.get(0).snapshot().name()).isEqualTo("after");
        again.close();
        tally.close();
        assertThat(open).hasValue(0);
    }
}
