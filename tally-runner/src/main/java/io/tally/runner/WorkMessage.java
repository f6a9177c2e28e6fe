package io.tally.runner;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.tally.InvalidInputException;
import java.util.Map;

/**
 * One message a {@link Dispatcher} carries to a worker: "run part {@code part} of job {@code jobId} with the
 * map-reduce functions registered as {@code name}". A map message published by the runner also carries the part's
 * payload with {@code jobId} and {@code partId} added (watchbot's SNS message, as the store keeps it, at most 64 KiB),
 * so a worker need not read it from the store; a message without one (an older or hand-made one) has its payload read
 * from the store. Its JSON form is the wire format of every transport:
 *
 * <pre>{@code
 * {"kind":"map","name":"tiles","jobId":"0193…","part":7,"attempt":1,"payload":{"x":3,"jobId":"0193…","partId":7}}
 * }</pre>
 *
 * @param kind {@value #MAP} or {@value #BUILD}
 * @param name the map-reduce name the worker finds the functions by
 * @param jobId the map-reduce job
 * @param part the part number
 * @param attempt 1 for the first delivery, incremented by each redelivery
 * @param payload the part's payload with {@code jobId} and {@code partId}, or null (build messages, older messages)
 */
public record WorkMessage(
        @JsonProperty("kind") String kind,
        @JsonProperty("name") String name,
        @JsonProperty("jobId") String jobId,
        @JsonProperty("part") int part,
        @JsonProperty("attempt") int attempt,

        @JsonProperty("payload") @JsonInclude(JsonInclude.Include.NON_NULL)
        Map<String, Object> payload) {
    /** The kind of a message that runs one part. */
    public static final String MAP = "map";
    /** The kind of a message that runs one build ({@code name} = the definition, {@code jobId} = the build). */
    public static final String BUILD = "build";

    /** Validates the fields. */
    @JsonCreator
    public WorkMessage {
        if (kind == null || name == null || jobId == null) {
            throw new InvalidInputException("message", "kind, name and jobId are required");
        }
        if (part < 0 || attempt < 1) {
            throw new InvalidInputException("message", "part must be ≥ 0 and attempt ≥ 1");
        }
    }

    /** A message without a payload (its worker reads the part's payload from the store). */
    public WorkMessage(String kind, String name, String jobId, int part, int attempt) {
        this(kind, name, jobId, part, attempt, null);
    }

    /** @return the first delivery of a map message, without the payload (the worker reads it from the store) */
    public static WorkMessage map(String name, String jobId, int part) {
        return new WorkMessage(MAP, name, jobId, part, 1);
    }

    /**
     * @param payload the part's payload as stored, with {@code jobId} and {@code partId}
     * @return the first delivery of a map message carrying its payload
     */
    public static WorkMessage map(String name, String jobId, int part, Map<String, Object> payload) {
        return new WorkMessage(MAP, name, jobId, part, 1, payload);
    }

    /** @return a message asking a worker to claim and run a PENDING build */
    public static WorkMessage build(String definitionId, String buildId) {
        return new WorkMessage(BUILD, definitionId, buildId, 0, 1);
    }

    /** @return the same message, delivered once more */
    public WorkMessage redelivery() {
        return new WorkMessage(kind, name, jobId, part, attempt + 1, payload);
    }

    /**
     * @param deliveries the transport's count of this message's deliveries
     * @return the same message with {@code attempt} = that count (at least 1)
     */
    public WorkMessage withAttempt(int deliveries) {
        return new WorkMessage(kind, name, jobId, part, Math.max(1, deliveries), payload);
    }

    /** @return the message without its payload, for logs */
    @Override
    public String toString() {
        return "WorkMessage[kind=" + kind + ", name=" + name + ", jobId=" + jobId + ", part=" + part + ", attempt="
                + attempt + (payload == null ? "" : ", with payload") + "]";
    }

    /** @return the message as JSON */
    public String toJson() {
        return RunnerJson.write(this);
    }

    /** @return a message read from its JSON form */
    public static WorkMessage fromJson(String json) {
        try {
            return RunnerJson.MAPPER.readValue(json, WorkMessage.class);
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new InvalidInputException("message", "not a work message: " + e.getMessage());
        }
    }
}
