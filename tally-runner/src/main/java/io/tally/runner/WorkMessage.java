package io.tally.runner;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.tally.InvalidInputException;

/**
 * One message a {@link Dispatcher} carries to a worker (watchbot's SNS message): "run part {@code part} of job
 * {@code jobId} with the map-reduce functions registered as {@code name}". The part's payload stays in the store, so
 * messages stay small whatever the payload. Its JSON form is the wire format of every transport.
 *
 * @param kind {@value #MAP} or {@value #BUILD}
 * @param name the map-reduce name the worker finds the functions by
 * @param jobId the map-reduce job
 * @param part the part number
 * @param attempt 1 for the first delivery, incremented by each redelivery
 */
public record WorkMessage(
        @JsonProperty("kind") String kind,
        @JsonProperty("name") String name,
        @JsonProperty("jobId") String jobId,
        @JsonProperty("part") int part,
        @JsonProperty("attempt") int attempt) {
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

    /** @return the first delivery of a map message */
    public static WorkMessage map(String name, String jobId, int part) {
        return new WorkMessage(MAP, name, jobId, part, 1);
    }

    /** @return a message asking a worker to claim and run a PENDING build */
    public static WorkMessage build(String definitionId, String buildId) {
        return new WorkMessage(BUILD, definitionId, buildId, 0, 1);
    }

    /** @return the same message, delivered once more */
    public WorkMessage redelivery() {
        return new WorkMessage(kind, name, jobId, part, attempt + 1);
    }

    /**
     * @param deliveries the transport's count of this message's deliveries
     * @return the same message with {@code attempt} = that count (at least 1)
     */
    public WorkMessage withAttempt(int deliveries) {
        return new WorkMessage(kind, name, jobId, part, Math.max(1, deliveries));
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
