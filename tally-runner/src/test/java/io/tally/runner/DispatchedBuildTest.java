package io.tally.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.JobState;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Builds published through a dispatcher and claimed by a worker (here: this process's in-process dispatcher). */
class DispatchedBuildTest extends RunnerTestSupport {

    @Test
    void dependenciesAndDependentsRunOnWorkersWithTheSameResults() {
        List<String> threads = new CopyOnWriteArrayList<>();
        Runner runner = track(runner().dispatchBuilds(true)
                .define("A", ctx -> {
                    threads.add(Thread.currentThread().getName());
                    return 1;
                })
                .define(
                        "B",
                        ctx -> {
                            threads.add(Thread.currentThread().getName());
                            return ctx.dependencyResult("A", Integer.class) * 10 + 2;
                        },
                        Definition.dependsOn("A").param("p", 1))
                .build());

        Build b = runner.build(
                        "B", BuildOptions.defaults().buildDependencies(true).params(java.util.Map.of("p", 2)))
                .await();

        assertThat(b.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(b.result(Integer.class)).contains(12);
        assertThat(threads).hasSize(2).allSatisfy(t -> assertThat(t).startsWith("tally-worker"));
        assertThat(b.snapshot().orElseThrow().metadata()).containsEntry("params", java.util.Map.of("p", 2));
        assertThat(runner.status("A")).isEqualTo(BuildStatus.SUCCEEDED);
    }

    @Test
    void aDeadLetteredBuildMessageFailsItsBuildWithTheReason() {
        MapReduceTest.CapturingDispatcher d = new MapReduceTest.CapturingDispatcher();
        Runner runner = track(runner().dispatchBuilds(true)
                .dispatcher(d)
                .define("once", ctx -> 1)
                .build());
        Build b = runner.build("once");
        org.awaitility.Awaitility.await().until(() -> d.published.size() == 1);
        WorkMessage m = d.published.get(0).withAttempt(5);

        runner.deadLettered(m, "queue 'tally.work.dead'", new DispatchException("no definition 'once' in this worker"));

        org.awaitility.Awaitility.await().until(() -> b.state() == JobState.FAILED);
        assertThat(b.error().orElseThrow().message())
                .isEqualTo("build once (" + b.id() + ") was dead-lettered to queue 'tally.work.dead' after 5"
                        + " deliveries: io.tally.runner.DispatchException: no definition 'once' in this worker");
    }

    @Test
    void aBuildMessageDeliveredManyTimesRunsTheBuildOnce() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        MapReduceTest.CapturingDispatcher d = new MapReduceTest.CapturingDispatcher();
        Runner runner = track(runner().dispatchBuilds(true)
                .dispatcher(d)
                .define("once", ctx -> runs.incrementAndGet())
                .build());

        Build b = runner.build("once");
        org.awaitility.Awaitility.await().until(() -> d.published.size() == 1);
        WorkMessage m = d.published.get(0);
        assertThat(m.kind()).isEqualTo(WorkMessage.BUILD);
        assertThat(b.state()).isEqualTo(JobState.PENDING);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> fs = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                WorkMessage delivery = i == 0 ? m : m.redelivery();
                fs.add(pool.submit(() -> {
                    d.handler.handle(delivery);
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdown();
        }

        b.await();
        assertThat(runs).hasValue(1);
        assertThat(b.result(Integer.class)).contains(1);
    }

    @Test
    void aPublishErrorFailsTheBuild() {
        MapReduceTest.CapturingDispatcher d = new MapReduceTest.CapturingDispatcher();
        d.failAfter = 0;
        Runner runner = track(runner().dispatchBuilds(true)
                .dispatcher(d)
                .define("x", ctx -> 1)
                .build());

        Build b = runner.build("x").await();

        assertThat(b.state()).isEqualTo(JobState.FAILED);
        assertThat(b.error()).hasValueSatisfying(e -> {
            assertThat(e.type()).isEqualTo(DispatchException.class.getName());
            assertThat(e.message()).contains("broker down");
        });
    }
}
