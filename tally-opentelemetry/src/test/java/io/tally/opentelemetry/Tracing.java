package io.tally.opentelemetry;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import java.util.function.Supplier;

/**
 * An OpenTelemetry SDK exporting to memory, one per test: spans are exported as they end (simple processor), so a
 * span that ended is in {@link #spans()}.
 */
final class Tracing implements AutoCloseable {
    final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder()
                    .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                    .build())
            .build();
    final Tracer tracer = sdk.getTracer("test");

    List<SpanData> spans() {
        return exporter.getFinishedSpanItems();
    }

    List<SpanData> spans(String name) {
        return spans().stream().filter(s -> s.getName().equals(name)).toList();
    }

    /** Runs {@code body} under a new span {@code name} and ends it; @return the span and what body returned */
    <T> Traced<T> inSpan(String name, Supplier<T> body) {
        Span span = tracer.spanBuilder(name).startSpan();
        try (Scope ignored = span.makeCurrent()) {
            return new Traced<>(span, body.get());
        } finally {
            span.end();
        }
    }

    record Traced<T>(Span span, T value) {
        String traceId() {
            return span.getSpanContext().getTraceId();
        }

        String spanId() {
            return span.getSpanContext().getSpanId();
        }

        /** @return the W3C header of this span, as the propagator writes it */
        String traceparent() {
            return "00-" + traceId() + "-" + spanId() + "-"
                    + span.getSpanContext().getTraceFlags().asHex();
        }
    }

    @Override
    public void close() {
        sdk.close();
    }
}
