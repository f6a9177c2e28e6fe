package io.tally.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.tally.JobError;
import io.tally.JobSnapshot;
import io.tally.JobState;
import io.tally.PartCompletion;
import io.tally.Progress;
import io.tally.SweepResult;
import io.tally.store.LogEntry;
import io.tally.store.StoredItem;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The wire format of jobs and the other API values, shared by the HTTP API and the CLI's {@code --json} output so the
 * two never drift apart. Field names are those of {@link JobSnapshot}; times are ISO-8601 UTC instants, durations
 * ISO-8601 durations, with a seconds twin ({@code etaSeconds}) because browsers cannot parse ISO durations.
 */
public final class JobJson {
    /** The mapper used for every request and response body: ISO-8601 times, no timestamps. */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .addModule(new Jdk8Module())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
            .build();

    private JobJson() {}

    /**
     * @param s the snapshot
     * @param withRollup true to add {@code rollup} (walks the job's descendants, so only for single-job reads)
     * @return the job as a JSON object
     */
    public static ObjectNode job(JobSnapshot s, boolean withRollup) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("id", s.id());
        o.put("name", s.name());
        putOpt(o, "scope", s.scope());
        putOpt(o, "parent", s.parent());
        o.put("state", s.state().name());
        progress(o, s.progress());
        o.put("parts", s.parts());
        o.put("toleratedFailures", s.toleratedFailures());
        o.put("settled", s.settled());
        o.put("createdAt", s.createdAt().toString());
        putTime(o, "startedAt", s.startedAt());
        o.put("updatedAt", s.updatedAt().toString());
        putTime(o, "finishedAt", s.finishedAt());
        putTime(o, "deadline", s.deadline());
        putTime(o, "lease", s.lease());
        putTime(o, "retainUntil", s.retainUntil());
        putDuration(o, "timeout", s.timeout());
        putDuration(o, "heartbeat", s.heartbeat());
        putDuration(o, "retainFor", s.retainFor());
        putOpt(o, "message", s.message());
        o.set("metadata", tree(s.metadataJson()));
        o.set("result", s.resultJson().map(JobJson::tree).orElse(null));
        o.set("error", s.error().map(JobJson::error).orElse(null));
        if (withRollup) {
            ObjectNode r = MAPPER.createObjectNode();
            progress(r, s.rollup());
            o.set("rollup", r);
        }
        return o;
    }

    /** Writes the progress fields (total … eta) into {@code o}. */
    static void progress(ObjectNode o, Progress p) {
        o.put("total", p.total());
        o.put("succeeded", p.succeeded());
        o.put("failed", p.failed());
        o.put("pending", p.pending());
        o.put("percent", round(p.percent()));
        o.put("rate", round(p.rate()));
        if (p.eta().isPresent()) {
            o.put("eta", p.eta().get().toString());
            o.put("etaSeconds", round(p.eta().get().toMillis() / 1000.0));
        } else {
            o.putNull("eta");
            o.putNull("etaSeconds");
        }
    }

    /** @return the error object: message, type, stack, reason (spelt as in Java and as states are: {@code TIMEOUT}) */
    public static ObjectNode error(JobError e) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("message", e.message());
        o.put("type", e.type());
        o.put("stack", e.stack());
        o.put("reason", e.reason().name());
        return o;
    }

    /**
     * @return {@code {"changed":…,"remaining":…,"last":…}}, and {@code first}: the name of {@code changed} until 0.2,
     *     sent as well so clients written against it keep working (deprecated in the OpenAPI document)
     */
    public static ObjectNode completion(PartCompletion c) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("changed", c.changed());
        o.put("first", c.changed());
        o.put("remaining", c.remaining());
        o.put("last", c.last());
        return o;
    }

    /** @return {@code {"stalled":…,"timedOut":…,"deleted":…}} */
    public static ObjectNode sweep(SweepResult r) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("stalled", r.stalled());
        o.put("timedOut", r.timedOut());
        o.put("deleted", r.deleted());
        return o;
    }

    /** @return {@code {"states":{"PENDING":n,…},"total":n}} */
    public static ObjectNode stats(Map<JobState, Long> counts) {
        ObjectNode o = MAPPER.createObjectNode();
        ObjectNode states = o.putObject("states");
        long total = 0;
        for (JobState st : JobState.values()) {
            long n = counts.getOrDefault(st, 0L);
            states.put(st.name(), n);
            total += n;
        }
        o.put("total", total);
        return o;
    }

    /** @return an item: key, outcome, reason */
    public static ObjectNode item(StoredItem i) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("key", i.key());
        o.put("outcome", i.outcome().name());
        o.put("reason", i.reason());
        return o;
    }

    /** @return a log record: seq, at, level, logger, message */
    public static ObjectNode log(LogEntry e) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("seq", e.seq());
        o.put("at", e.at().toString());
        o.put("level", e.level());
        o.put("logger", e.logger());
        o.put("message", e.message());
        return o;
    }

    /** @return an empty array node */
    public static ArrayNode array() {
        return MAPPER.createArrayNode();
    }

    private static JsonNode tree(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (Exception e) {
            // Stored JSON was validated on the way in; if a foreign writer left junk, show it as text, not a 500.
            return MAPPER.getNodeFactory().textNode(json);
        }
    }

    private static double round(double d) {
        return Math.round(d * 100.0) / 100.0;
    }

    private static void putOpt(ObjectNode o, String field, Optional<String> v) {
        if (v.isPresent()) {
            o.put(field, v.get());
        } else {
            o.putNull(field);
        }
    }

    private static void putTime(ObjectNode o, String field, Optional<Instant> v) {
        putOpt(o, field, v.map(Instant::toString));
    }

    private static void putDuration(ObjectNode o, String field, Optional<Duration> v) {
        putOpt(o, field, v.map(Duration::toString));
    }
}
