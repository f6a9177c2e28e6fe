package io.tally.opentelemetry;

import static io.opentelemetry.sdk.testing.assertj.OpenTelemetryAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.tally.JobState;
import io.tally.Tally;
import io.tally.runner.Build;
import io.tally.runner.BuildOptions;
import io.tally.runner.Definition;
import io.tally.runner.MapReduceJob;
import io.tally.runner.MapReduceOptions;
import io.tally.runner.Runner;
import io.tally.runner.SkipBuild;
import io.tally.store.memory.MemoryJobStore;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Builds and map-reduce parts run by {@link Runner} get their spans through the core's hooks. */
class RunnerTracingTest {
    private final Tracing tracing = new Tracing();
    private final Tally tally = Tally.builder()
            .store(new MemoryJobStore(Clock.systemUTC()))
            .instrumentation(new TallyTracing(tracing.sdk))
            .build();

    @AfterEach
    void close() {
        tally.close();
        tracing.close();
    }

    @Test
    void aBuildAndTheDependencyItBuiltFirstRunInTheTraceOfTheThreadThatStartedThem() {
        try (Runner runner = Runner.builder(tally)
                .define("fetch", ctx -> {
                    tracing.tracer.spanBuilder("download").startSpan().end(); // the function's own span
                    return 1;
                })
                .define("parse", ctx -> ctx.dependencyResult("fetch", Integer.class) + 1, Definition.dependsOn("fetch"))
                .build()) {
            Tracing.Traced<Build> request = tracing.inSpan(
                    "request",
                    () -> runner.build("parse", BuildOptions.defaults().buildDependencies(true)));

            Build build = request.value().await();

            assertThat(build.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(tally.get(build.id()).snapshot().metadata()).containsEntry("traceparent", request.traceparent());
            assertThat(tracing.spans()).hasSize(1 + 2 + 1);
            List<SpanData> work = tracing.spans(TallyTracing.WORK_SPAN);
            assertThat(work)
                    .extracting(s -> s.getAttributes().get(TallyTracing.JOB_NAME))
                    .containsExactlyInAnyOrder("fetch", "parse");
            for (SpanData span : work) {
                assertThat(span)
                        .hasTraceId(request.traceId())
                        .hasParentSpanId(request.spanId())
                        .hasStatus(io.opentelemetry.sdk.trace.data.StatusData.unset());
            }
            SpanData fetch = work.stream()
                    .filter(s -> "fetch".equals(s.getAttributes().get(TallyTracing.JOB_NAME)))
                    .findFirst()
                    .orElseThrow();
            assertThat(tracing.spans("download").get(0))
                    .hasTraceId(request.traceId())
                    .hasParentSpanId(fetch.getSpanId());
            assertThat(fetch)
                    .hasAttribute(
                            TallyTracing.JOB_ID,
                            runner.latestSuccessfulBuild("fetch").orElseThrow().id());
        }
    }

    @Test
    void aDispatchedBuildClaimedByAWorkerThreadRunsInTheTraceOfTheThreadThatStartedIt() {
        List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (Runner runner = Runner.builder(tally)
                .dispatchBuilds(true)
                .define("fetch", ctx -> threads.add(Thread.currentThread().getName()))
                .build()) {
            Tracing.Traced<Build> request = tracing.inSpan("request", () -> runner.build("fetch"));

            Build build = request.value().await();

            assertThat(build.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(threads).singleElement().satisfies(t -> assertThat(t).startsWith("tally-worker"));
            assertThat(tracing.spans()).hasSize(2);
            assertThat(tracing.spans(TallyTracing.WORK_SPAN).get(0))
                    .hasTraceId(request.traceId())
                    .hasParentSpanId(request.spanId())
                    .hasAttribute(TallyTracing.JOB_ID, build.id())
                    .hasAttribute(TallyTracing.JOB_NAME, "fetch");
        }
    }

    @Test
    void aFailedBuildsSpanIsAnErrorAndASkippedOnesIsNot() {
        try (Runner runner = Runner.builder(tally)
                .define("broken", ctx -> {
                    throw new IllegalStateException("no input");
                })
                .define("idle", ctx -> {
                    throw new SkipBuild("nothing new");
                })
                .build()) {
            assertThat(runner.build("broken").await().state()).isEqualTo(JobState.FAILED);
            assertThat(runner.build("idle").await().state()).isEqualTo(JobState.SKIPPED);

            assertThat(tracing.spans()).hasSize(2);
            SpanData broken = tracing.spans().get(0);
            assertThat(broken).hasAttribute(TallyTracing.JOB_NAME, "broken");
            assertThat(broken.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(broken.getEvents()).hasSize(1);
            SpanData idle = tracing.spans().get(1);
            assertThat(idle).hasAttribute(TallyTracing.JOB_NAME, "idle");
            assertThat(idle.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
            assertThat(idle.getEvents()).isEmpty();
        }
    }

    @Test
    void aMapReducesPartsRunByWorkerThreadsAndItsReduceAreInTheCreatingTrace() {
        try (Runner runner = Runner.builder(tally).workerThreads(3).build()) {
            Tracing.Traced<MapReduceJob> request = tracing.inSpan(
                    "request",
                    () -> runner.mapReduce(
                            "squares",
                            List.of(Map.of("n", 1), Map.of("n", 2), Map.of("n", 3)),
                            ctx -> {
                                int n = ((Number) ctx.payload().get("n")).intValue();
                                return n * n;
                            },
                            ctx -> ctx.results(Integer.class).stream()
                                    .mapToInt(Integer::intValue)
                                    .sum(),
                            MapReduceOptions.defaults()));

            MapReduceJob job = request.value().await();

            assertThat(job.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(job.result(Integer.class)).contains(14);
            // The reduce's span ends before its job finishes, so it is exported by now; the parts' too.
            assertThat(tracing.spans()).hasSize(1 + 3 + 1);
            List<SpanData> parts = tracing.spans(TallyTracing.PART_SPAN);
            assertThat(parts)
                    .extracting(s -> s.getAttributes().get(TallyTracing.PART))
                    .containsExactlyInAnyOrder(0L, 1L, 2L);
            for (SpanData part : parts) {
                assertThat(part)
                        .hasTraceId(request.traceId())
                        .hasParentSpanId(request.spanId())
                        .hasAttribute(TallyTracing.JOB_ID, job.id())
                        .hasAttribute(TallyTracing.JOB_NAME, "squares");
            }
            // Created on the worker thread that settled the job, outside any span: it took its parent's trace.
            SpanData reduce = tracing.spans(TallyTracing.WORK_SPAN).get(0);
            assertThat(reduce)
                    .hasTraceId(request.traceId())
                    .hasParentSpanId(request.spanId())
                    .hasAttribute(TallyTracing.JOB_NAME, "squares:reduce");
        }
    }

    @Test
    void aBuildStartedOutsideAnySpanRunsUnderASpanOfItsOwnTrace() {
        try (Runner runner = Runner.builder(tally).define("fetch", ctx -> 1).build()) {
            Build build = runner.build("fetch").await();

            assertThat(build.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(tally.get(build.id()).snapshot().metadata()).doesNotContainKey("traceparent");
            assertThat(tracing.spans()).hasSize(1);
            assertThat(tracing.spans().get(0).getParentSpanContext().isValid()).isFalse();
        }
    }
}
