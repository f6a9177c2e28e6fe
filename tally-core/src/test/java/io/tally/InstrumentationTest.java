package io.tally;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.store.JobRecord;
import io.tally.store.JobStore;
import io.tally.store.memory.MemoryJobStore;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class InstrumentationTest {
    private final List<String> seen = new CopyOnWriteArrayList<>();

    /** Records each store call under {@code name}, then lets it through. */
    private Instrumentation counting(String name) {
        return new Instrumentation() {
            @Override
            public JobStore decorate(JobStore store) {
                return (JobStore) Proxy.newProxyInstance(
                        JobStore.class.getClassLoader(), new Class<?>[] {JobStore.class}, (proxy, method, args) -> {
                            seen.add(name + ":" + method.getName());
                            try {
                                return method.invoke(store, args);
                            } catch (java.lang.reflect.InvocationTargetException e) {
                                throw e.getCause();
                            }
                        });
            }

            @Override
            public <T, E extends Exception> T aroundPart(JobRecord job, int part, PartWork<T, E> work) throws E {
                seen.add(name + ":before part " + part + " of " + job.name());
                try {
                    return work.run();
                } finally {
                    seen.add(name + ":after part " + part);
                }
            }

            @Override
            public <T, E extends Exception> T aroundWork(JobRecord job, PartWork<T, E> work) throws E {
                seen.add(name + ":before work of " + job.name());
                try {
                    return work.run();
                } finally {
                    seen.add(name + ":after work");
                }
            }

            @Override
            public <T> Supplier<T> carry(Supplier<T> task) {
                String madeOn = Thread.currentThread().getName();
                return () -> {
                    seen.add(name + ":carried from " + madeOn);
                    return task.get();
                };
            }
        };
    }

    @Test
    void everyStoreCallPassesTheDecoratorsAndPartWorkRunsInsideEachHookFirstOutermost() throws Exception {
        try (Tally tally = Tally.builder()
                .store(new MemoryJobStore(Clock.systemUTC()))
                .instrumentation(counting("a"))
                .instrumentation(counting("b"))
                .build()) {
            Job job = tally.create(
                    JobSpec.builder().name("crawl").parts(List.of(Map.of())).build());
            assertThat(seen).containsSubsequence("a:create", "b:create");
            seen.clear();

            String result = tally.runPart(job.id(), 0, PartOptions.defaults(), () -> {
                seen.add("work");
                return "done";
            });

            assertThat(result).isEqualTo("done");
            assertThat(seen.stream().filter(s -> s.contains(" part ") || s.equals("work")))
                    .containsExactly(
                            "a:before part 0 of crawl",
                            "b:before part 0 of crawl",
                            "work",
                            "b:after part 0",
                            "a:after part 0");
            assertThat(seen).containsSubsequence("a:recordParts", "b:recordParts");
            assertThat(job.snapshot().state()).isEqualTo(JobState.SUCCEEDED);
        }
    }

    @Test
    void jobWorkRunsInsideEachHookFirstOutermostAndRecordsNothing() throws Exception {
        try (Tally tally = Tally.builder()
                .store(new MemoryJobStore(Clock.systemUTC()))
                .instrumentation(counting("a"))
                .instrumentation(counting("b"))
                .build()) {
            Job job = tally.create(JobSpec.builder().name("build").start(true).build());
            seen.clear();

            int result = tally.runWork(job.id(), () -> {
                seen.add("work");
                return 42;
            });

            assertThat(result).isEqualTo(42);
            assertThat(seen.stream().filter(s -> s.contains(" work") || s.equals("work")))
                    .containsExactly(
                            "a:before work of build", "b:before work of build", "work", "b:after work", "a:after work");
            assertThat(job.snapshot().state()).isEqualTo(JobState.RUNNING);
            assertThatThrownBy(() -> tally.runWork("no-such-job", () -> 1)).isInstanceOf(JobNotFoundException.class);
        }
    }

    @Test
    void aCarriedTaskRunsOnAnotherThreadThroughEachHookFirstOutermost() {
        try (Tally tally = Tally.builder()
                .store(new MemoryJobStore(Clock.systemUTC()))
                .instrumentation(counting("a"))
                .instrumentation(counting("b"))
                .build()) {
            String here = Thread.currentThread().getName();
            Supplier<String> task = tally.carry(() -> {
                seen.add("task");
                return Thread.currentThread().getName();
            });

            String ranOn = CompletableFuture.supplyAsync(task).join();

            assertThat(ranOn).isNotEqualTo(here);
            assertThat(seen).containsExactly("a:carried from " + here, "b:carried from " + here, "task");
        }
    }

    @Test
    void withoutInstrumentationWorkAndCarriedTasksRunAsGiven() throws Exception {
        try (Tally tally =
                Tally.builder().store(new MemoryJobStore(Clock.systemUTC())).build()) {
            Job job = tally.create(JobSpec.builder().name("build").build());
            Supplier<String> task = () -> "same";

            assertThat(tally.carry(task)).isSameAs(task);
            assertThat(tally.runWork(job.id(), () -> "ran")).isEqualTo("ran");
        }
    }

    @Test
    void aNullInstrumentationIsRefused() {
        assertThatThrownBy(() -> Tally.builder().instrumentation(null)).isInstanceOf(NullPointerException.class);
    }
}
