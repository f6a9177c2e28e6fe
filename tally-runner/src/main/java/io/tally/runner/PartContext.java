package io.tally.runner;

import java.util.Map;
import org.slf4j.Logger;

/** What a {@link PartFunction} sees: the part's number, payload and delivery attempt, and a logger. */
public final class PartContext {
    private final WorkMessage message;
    private final Map<String, Object> payload;
    private final Logger log;

    PartContext(WorkMessage message, Map<String, Object> payload, Logger log) {
        this.message = message;
        this.payload = payload;
        this.log = log;
    }

    /** @return the map-reduce job */
    public String jobId() {
        return message.jobId();
    }

    /** @return the part number, {@code 0..n-1} in the order the parts were given */
    public int part() {
        return message.part();
    }

    /** @return 1 for the first delivery of this part, more for redeliveries */
    public int attempt() {
        return message.attempt();
    }

    /** @return the part's payload as given, plus {@code jobId} and {@code partId} */
    public Map<String, Object> payload() {
        return payload;
    }

    /** @return the payload converted to {@code type} (unknown properties such as {@code jobId} must be ignorable) */
    public <T> T payload(Class<T> type) {
        return RunnerJson.convert("payload", payload, type);
    }

    /** @return a logger whose records are stored with the map-reduce job */
    public Logger log() {
        return log;
    }
}
