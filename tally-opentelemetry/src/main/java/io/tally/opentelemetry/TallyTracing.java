package io.tally.opentelemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.tally.Instrumentation;
import io.tally.PartWork;
import io.tally.store.JobRecord;
import io.tally.store.JobStore;
import io.tally.store.NewJob;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OpenTelemetry tracing for a {@link io.tally.Tally}: install it with
 * {@code Tally.builder().instrumentation(new TallyTracing(openTelemetry))} in every process that creates jobs or runs
 * their work, so one trace shows a job from the request that created it to the parts run by other workers.
 *
 * <ul>
 *   <li><b>On create</b>, the W3C trace context of the creating thread is stored in the new job's metadata under
 *       {@code traceparent} (and {@code tracestate} when there is one). A job created where no span is current stores
 *       its parent job's, so a map-reduce's reduce job joins the trace of its parts job. Metadata that already has a
 *       {@code traceparent} is kept as it is: the creator chose its trace (a client over HTTP joins a trace that way).
 *   <li><b>Around a part's work</b> ({@link io.tally.Tally#runPart}, and so every map-reduce part a runner's worker
 *       runs), a span {@value #PART_SPAN} whose parent is the job's stored context; around a whole job's work
 *       ({@link io.tally.Tally#runWork}: a runner's build, a reduce), a span {@value #WORK_SPAN}. Both are
 *       {@link SpanKind#CONSUMER} (the work was handed over by whoever created the job, maybe in another process),
 *       carry {@code tally.job.id} and {@code tally.job.name} ({@code tally.part} too for a part), are current while
 *       the work runs, so the work's own spans nest under them, and end with status ERROR and the exception recorded
 *       when the work throws. A span current on the worker's thread (a message consumer's, say) becomes a link.
 *       Without a stored context, or with one that does not parse, the span is a child of the current span, or a new
 *       trace: tracing never fails a job or its work.
 *   <li><b>Across threads</b>, {@link io.tally.Tally#carry} carries the current context, so a build created on the
 *       runner's executor stores the trace of the thread that asked for the build.
 * </ul>
 *
 * <p>Thread-safe; one instance may serve several {@code Tally}s.
 */
public final class TallyTracing implements Instrumentation {
    private static final Logger log = LoggerFactory.getLogger(TallyTracing.class);

    /** The instrumentation scope name of the tracer. */
    public static final String INSTRUMENTATION_NAME = "io.tally.opentelemetry";
    /** The name of the span around a part's work. */
    public static final String PART_SPAN = "tally.part";
    /** The name of the span around a whole job's work (a runner's build or reduce). */
    public static final String WORK_SPAN = "tally.work";
    /** The job's id. */
    public static final AttributeKey<String> JOB_ID = AttributeKey.stringKey("tally.job.id");
    /** The job's name. */
    public static final AttributeKey<String> JOB_NAME = AttributeKey.stringKey("tally.job.name");
    /** The part number. */
    public static final AttributeKey<Long> PART = AttributeKey.longKey("tally.part");

    // The W3C propagator itself, not the application's configured one: the stored keys are W3C's whatever the
    // application propagates over its own wire, so any process can read them.
    private static final TextMapPropagator W3C = W3CTraceContextPropagator.getInstance();
    private static final TextMapGetter<Map<String, String>> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    private final Tracer tracer;

    /**
     * @param openTelemetry where the tracer comes from (the SDK the application configured, or
     *     {@code GlobalOpenTelemetry.get()})
     * @throws NullPointerException if it is null
     */
    public TallyTracing(OpenTelemetry openTelemetry) {
        this.tracer = Objects.requireNonNull(openTelemetry, "openTelemetry").getTracer(INSTRUMENTATION_NAME);
    }

    /** @return {@code store} with its {@code create} storing the trace context in the new job's metadata */
    @Override
    public JobStore decorate(JobStore store) {
        return new TracingJobStore(store, this::traced);
    }

    /** Runs the part's work under a {@value #PART_SPAN} span parented on the job's stored trace context. */
    @Override
    public <T, E extends Exception> T aroundPart(JobRecord job, int part, PartWork<T, E> work) throws E {
        return inSpan(spanFor(PART_SPAN, job).setAttribute(PART, (long) part), work);
    }

    /** Runs the job's work under a {@value #WORK_SPAN} span parented on the job's stored trace context. */
    @Override
    public <T, E extends Exception> T aroundWork(JobRecord job, PartWork<T, E> work) throws E {
        return inSpan(spanFor(WORK_SPAN, job), work);
    }

    /** @return {@code task} run with the current context of the thread calling this */
    @Override
    public <T> Supplier<T> carry(Supplier<T> task) {
        return Context.current().wrapSupplier(task);
    }

    /** The metadata to store for a new job: its own, plus the current trace context or else its parent job's. */
    private String traced(NewJob job, JobStore store) {
        Map<String, String> carrier = new HashMap<>();
        W3C.inject(Context.current(), carrier, Map::put);
        if (carrier.isEmpty() && job.parent() != null) {
            carrier = store.find(job.parent())
                    .map(parent -> TraceMetadata.read(parent.metadataJson()))
                    .orElse(Map.of());
        }
        return TraceMetadata.withTrace(job.metadataJson(), carrier);
    }

    private SpanBuilder spanFor(String name, JobRecord job) {
        Context current = Context.current();
        Map<String, String> carrier = TraceMetadata.read(job.metadataJson());
        Context stored = W3C.extract(current, carrier, GETTER);
        if (stored == current && !carrier.isEmpty()) {
            // Never an error: the work must run. Debug, so a wrong traceparent can be found without flooding the log.
            log.debug(
                    "job {} has a traceparent that is not W3C ({}): its spans are not in the creating trace",
                    job.id(),
                    carrier.get(TraceMetadata.TRACEPARENT));
        }
        SpanBuilder span = tracer.spanBuilder(name)
                .setParent(stored)
                .setSpanKind(SpanKind.CONSUMER)
                .setAttribute(JOB_ID, job.id())
                .setAttribute(JOB_NAME, job.name());
        SpanContext here = Span.fromContext(current).getSpanContext();
        SpanContext parent = Span.fromContext(stored).getSpanContext();
        if (stored != current && here.isValid() && !here.getSpanId().equals(parent.getSpanId())) {
            span.addLink(here); // parented on the job's trace; the trace that delivered the work stays reachable
        }
        return span;
    }

    private static <T, E extends Exception> T inSpan(SpanBuilder builder, PartWork<T, E> work) throws E {
        Span span = builder.startSpan();
        try (Scope ignored = span.makeCurrent()) {
            return work.run();
        } catch (Throwable t) {
            span.recordException(t);
            span.setStatus(StatusCode.ERROR, String.valueOf(t));
            throw t;
        } finally {
            span.end();
        }
    }
}
