package io.tally.opentelemetry;

import static io.opentelemetry.sdk.testing.assertj.OpenTelemetryAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.tally.Job;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.PartOptions;
import io.tally.Tally;
import io.tally.store.memory.MemoryJobStore;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TallyTracingTest {
    private static final String USER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String USER_SPAN = "00f067aa0ba902b7";

    private final Tracing tracing = new Tracing();

    @AfterEach
    void close() {
        tracing.close();
    }

    private Tally traced(String url) {
        return Tally.builder()
                .url(url)
                .instrumentation(new TallyTracing(tracing.sdk))
                .build();
    }

    private Tally tracedInMemory() {
        return Tally.builder()
                .store(new MemoryJobStore(Clock.systemUTC()))
                .instrumentation(new TallyTracing(tracing.sdk))
                .build();
    }

    private static JobSpec threeParts() {
        return JobSpec.builder()
                .name("tiles")
                .parts(List.of(Map.of("n", 0), Map.of("n", 1), Map.of("n", 2)))
                .build();
    }

    @Test
    void partsRunByAnotherTallyOnTheSameSqliteFileAreInTheCreatingTrace(@TempDir Path dir) throws Exception {
        String url = "sqlite:" + dir.resolve("jobs.db");
        try (Tally creator = traced(url);
                Tally worker = traced(url)) {
            Tracing.Traced<String> request =
                    tracing.inSpan("request", () -> creator.create(threeParts()).id());
            String jobId = request.value();

            for (int part = 0; part < 3; part++) {
                int n = part;
                int result = worker.runPart(jobId, part, PartOptions.defaults(), () -> {
                    tracing.tracer.spanBuilder("square").startSpan().end(); // the work's own span
                    return n * n;
                });
                assertThat(result).isEqualTo(n * n);
            }

            assertThat(creator.get(jobId).snapshot().metadata()).containsEntry("traceparent", request.traceparent());
            assertThat(creator.get(jobId).snapshot().state()).isEqualTo(JobState.SUCCEEDED);
            List<SpanData> parts = tracing.spans(TallyTracing.PART_SPAN);
            assertThat(tracing.spans()).hasSize(1 + 3 + 3);
            assertThat(parts).hasSize(3);
            for (int part = 0; part < 3; part++) {
                SpanData span = parts.get(part);
                assertThat(span)
                        .hasTraceId(request.traceId())
                        .hasParentSpanId(request.spanId())
                        .hasKind(SpanKind.CONSUMER)
                        .hasStatus(io.opentelemetry.sdk.trace.data.StatusData.unset())
                        .hasAttribute(TallyTracing.JOB_ID, jobId)
                        .hasAttribute(TallyTracing.JOB_NAME, "tiles")
                        .hasAttribute(TallyTracing.PART, (long) part)
                        .hasLinks(List.of());
            }
            List<SpanData> work = tracing.spans("square");
            assertThat(work).hasSize(3);
            for (int part = 0; part < 3; part++) {
                assertThat(work.get(part))
                        .hasTraceId(request.traceId())
                        .hasParentSpanId(parts.get(part).getSpanId());
            }
        }
    }

    @Test
    void aFailingPartsSpanHasStatusErrorAndTheExceptionEvent() {
        try (Tally tally = tracedInMemory()) {
            String jobId = tracing.inSpan(
                            "request", () -> tally.create(threeParts()).id())
                    .value();

            assertThatThrownBy(() -> tally.runPart(jobId, 1, PartOptions.defaults(), () -> {
                        throw new IllegalStateException("tile 1 is corrupt");
                    }))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("tile 1 is corrupt");

            assertThat(tracing.spans()).hasSize(2);
            SpanData part = tracing.spans(TallyTracing.PART_SPAN).get(0);
            assertThat(part.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(part.getStatus().getDescription()).contains("tile 1 is corrupt");
            assertThat(part.getEvents()).hasSize(1);
            EventData event = part.getEvents().get(0);
            assertThat(event.getName()).isEqualTo("exception");
            assertThat(event.getAttributes().get(AttributeKey.stringKey("exception.type")))
                    .isEqualTo(IllegalStateException.class.getName());
            assertThat(event.getAttributes().get(AttributeKey.stringKey("exception.message")))
                    .isEqualTo("tile 1 is corrupt");
            assertThat(part).hasAttribute(TallyTracing.PART, 1L);
            // Nothing recorded (PartOptions.defaults leaves the part for a retry): the span changed nothing.
            assertThat(tally.get(jobId).snapshot().state()).isEqualTo(JobState.PENDING);
            assertThat(tally.get(jobId).progress().pending()).isEqualTo(3);
        }
    }

    @Test
    void aTraceparentTheCreatorPutInTheMetadataIsKeptAndThePartsJoinThatTrace() throws Exception {
        String userParent = "00-" + USER_TRACE + "-" + USER_SPAN + "-01";
        try (Tally tally = tracedInMemory()) {
            Tracing.Traced<Job> request = tracing.inSpan(
                    "request",
                    () -> tally.create(JobSpec.builder()
                            .name("tiles")
                            .metadata(Map.of("traceparent", userParent, "tracestate", "vendor=1"))
                            .parts(List.of(Map.of()))
                            .build()));
            String jobId = request.value().id();

            tally.runPart(jobId, 0, PartOptions.defaults(), () -> "done");

            assertThat(tally.get(jobId).snapshot().metadata())
                    .containsExactlyInAnyOrderEntriesOf(Map.of("traceparent", userParent, "tracestate", "vendor=1"));
            assertThat(tracing.spans()).hasSize(2);
            SpanData part = tracing.spans(TallyTracing.PART_SPAN).get(0);
            assertThat(part).hasTraceId(USER_TRACE).hasParentSpanId(USER_SPAN);
            assertThat(part.getSpanContext().getTraceState().get("vendor")).isEqualTo("1");
            assertThat(part.getTraceId()).isNotEqualTo(request.traceId());
        }
    }

    @Test
    void aMalformedStoredTraceparentStillRunsTheWorkUnderASpanThatStartsANewTrace() throws Exception {
        try (Tally tally = tracedInMemory()) {
            Job job = tally.create(JobSpec.builder()
                    .name("tiles")
                    .metadata(Map.of("traceparent", "00-not-a-trace-context"))
                    .parts(List.of(Map.of()))
                    .build());

            String result = tally.runPart(job.id(), 0, PartOptions.defaults(), () -> "done");

            assertThat(result).isEqualTo("done");
            assertThat(job.snapshot().state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(job.snapshot().metadata()).containsEntry("traceparent", "00-not-a-trace-context");
            assertThat(tracing.spans()).hasSize(1);
            SpanData part = tracing.spans().get(0);
            assertThat(part.getName()).isEqualTo(TallyTracing.PART_SPAN);
            assertThat(part.getParentSpanContext().isValid()).isFalse();
            assertThat(part.getSpanContext().isValid()).isTrue();
        }
    }

    @Test
    void withoutTracingInstalledNothingIsStoredAndPartsRunAsBefore() throws Exception {
        try (Tally tally =
                Tally.builder().store(new MemoryJobStore(Clock.systemUTC())).build()) {
            String jobId = tracing.inSpan(
                            "request", () -> tally.create(threeParts()).id())
                    .value();

            for (int part = 0; part < 3; part++) {
                tally.runPart(jobId, part, PartOptions.defaults(), () -> "done");
            }

            assertThat(tally.get(jobId).snapshot().metadata()).isEmpty();
            assertThat(tally.get(jobId).snapshot().state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(tracing.spans()).hasSize(1); // the test's own "request" span only
        }
    }

    @Test
    void aJobCreatedOutsideAnySpanStoresNothingAndItsPartsStartTheirOwnTraces() throws Exception {
        try (Tally tally = tracedInMemory()) {
            Job job = tally.create(threeParts());

            tally.runPart(job.id(), 0, PartOptions.defaults(), () -> "done");

            assertThat(job.snapshot().metadata()).isEmpty();
            assertThat(tracing.spans()).hasSize(1);
            assertThat(tracing.spans().get(0).getParentSpanContext().isValid()).isFalse();
        }
    }

    @Test
    void aChildCreatedOutsideAnySpanJoinsItsParentsTraceAndOneCreatedInsideKeepsItsOwn() throws Exception {
        try (Tally tally = tracedInMemory()) {
            Tracing.Traced<Job> request = tracing.inSpan(
                    "request",
                    () -> tally.create(JobSpec.builder().name("parent").build()));

            Job orphan = tally.create(JobSpec.builder()
                    .name("reduce")
                    .parent(request.value().id())
                    .build());
            Tracing.Traced<Job> other = tracing.inSpan(
                    "other",
                    () -> tally.create(JobSpec.builder()
                            .name("child")
                            .parent(request.value().id())
                            .build()));

            assertThat(orphan.snapshot().metadata()).containsExactly(Map.entry("traceparent", request.traceparent()));
            assertThat(other.value().snapshot().metadata())
                    .containsExactly(Map.entry("traceparent", other.traceparent()));
        }
    }

    @Test
    void aSpanCurrentOnTheWorkersThreadBecomesALinkNotTheParent() throws Exception {
        try (Tally tally = tracedInMemory()) {
            Tracing.Traced<String> request =
                    tracing.inSpan("request", () -> tally.create(threeParts()).id());
            Span delivery = tracing.tracer.spanBuilder("delivery").startSpan();
            try (Scope ignored = delivery.makeCurrent()) {
                tally.runPart(request.value(), 0, PartOptions.defaults(), () -> "done");
            } finally {
                delivery.end();
            }

            assertThat(tracing.spans()).hasSize(3);
            SpanData part = tracing.spans(TallyTracing.PART_SPAN).get(0);
            assertThat(part).hasTraceId(request.traceId()).hasParentSpanId(request.spanId());
            assertThat(part.getLinks()).hasSize(1);
            assertThat(part.getLinks().get(0).getSpanContext().getSpanId())
                    .isEqualTo(delivery.getSpanContext().getSpanId());
        }
    }
}
