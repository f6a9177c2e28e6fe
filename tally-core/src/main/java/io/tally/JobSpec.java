package io.tally;

import io.tally.internal.Json;
import io.tally.internal.Validation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What to create: a job's name, scope, total, metadata, parts and policies. Build one with {@link #builder()}; every
 * setter validates at once and throws {@link InvalidInputException} naming the field. A spec is input — its values
 * are often what came over HTTP or a command line, and the edges rely on these checks — so even a null or a missing
 * name is an {@code InvalidInputException}, unlike the misuse of Tally's other builders.
 *
 * <pre>{@code
 * JobSpec.builder().name("import").scope("user:3421").total(10)
 *         .metadata(Map.of("created_at", "2013-12-12")).start(true).build();
 * }</pre>
 */
public final class JobSpec {
    /** Most parts one job may have. */
    public static final int MAX_PARTS = 10_000_000;

    private final String id;
    private final String name;
    private final String scope;
    private final String parent;
    private final String metadataJson;
    private final long total;
    private final boolean start;
    private final List<Object> parts;
    private final int toleratedFailures;
    private final Duration timeout;
    private final Duration heartbeat;
    private final Duration retainFor;
    private final String message;

    private JobSpec(Builder b) {
        this.id = b.id;
        this.name = b.name;
        this.scope = b.scope;
        this.parent = b.parent;
        this.metadataJson = b.metadataJson;
        this.total = b.total;
        this.start = b.start;
        this.parts = b.parts == null ? List.of() : List.copyOf(b.parts);
        this.toleratedFailures = b.toleratedFailures;
        this.timeout = b.timeout;
        this.heartbeat = b.heartbeat;
        this.retainFor = b.retainFor;
        this.message = b.message;
    }

    /** @return a new builder */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the caller-given id; empty means a UUIDv7 is generated */
    public Optional<String> id() {
        return Optional.ofNullable(id);
    }

    /** @return the job name */
    public String name() {
        return name;
    }

    /** @return the scope */
    public Optional<String> scope() {
        return Optional.ofNullable(scope);
    }

    /** @return the parent job id */
    public Optional<String> parent() {
        return Optional.ofNullable(parent);
    }

    /** @return metadata as JSON object text */
    public String metadataJson() {
        return metadataJson;
    }

    /** @return the total; for a job with parts, the number of parts */
    public long total() {
        return parts.isEmpty() ? total : parts.size();
    }

    /** @return true if the job is created RUNNING */
    public boolean start() {
        return start;
    }

    /** @return the part payloads, in part order */
    public List<Object> parts() {
        return parts;
    }

    /** @return failed parts that still let the job settle and succeed */
    public int toleratedFailures() {
        return toleratedFailures;
    }

    /** @return the execution time limit */
    public Optional<Duration> timeout() {
        return Optional.ofNullable(timeout);
    }

    /** @return the heartbeat lease length */
    public Optional<Duration> heartbeat() {
        return Optional.ofNullable(heartbeat);
    }

    /** @return how long the job is kept after it finishes */
    public Optional<Duration> retainFor() {
        return Optional.ofNullable(retainFor);
    }

    /** @return the initial status line */
    public Optional<String> message() {
        return Optional.ofNullable(message);
    }

    /** Builds a {@link JobSpec}. Only {@link #name} is required. */
    public static final class Builder {
        private String id;
        private String name;
        private String scope;
        private String parent;
        private String metadataJson = "{}";
        private long total;
        private boolean start;
        private List<Object> parts;
        private int toleratedFailures;
        private Duration timeout;
        private Duration heartbeat;
        private Duration retainFor;
        private String message;

        private Builder() {}

        /**
         * @param id the job's id: 1–128 characters of {@code [A-Za-z0-9._:-]}. Default: a new UUIDv7.
         * @throws InvalidInputException if it is not such an id
         */
        public Builder id(String id) {
            this.id = Validation.id("id", id);
            return this;
        }

        /**
         * @param name what the job is (e.g. {@code import}); required, not blank, at most 512 characters
         * @throws InvalidInputException if it is null, blank, too long or holds a NUL character
         */
        public Builder name(String name) {
            this.name = Validation.text("name", name, Validation.MAX_NAME);
            return this;
        }

        /**
         * @param scope who or what the job belongs to (e.g. {@code user:3421}), to list a scope's jobs; null for none
         * @throws InvalidInputException if it is blank, longer than 512 characters or holds a NUL character
         */
        public Builder scope(String scope) {
            this.scope = scope == null ? null : Validation.text("scope", scope, Validation.MAX_NAME);
            return this;
        }

        /**
         * @param parent the parent job's id, null for none; the parent's snapshot rolls up this job's counters
         * @throws InvalidInputException if it is not a valid id
         */
        public Builder parent(String parent) {
            this.parent = parent == null ? null : Validation.id("parent", parent);
            return this;
        }

        /**
         * @param metadata any JSON-serializable map; at most 64 KiB of JSON
         * @throws InvalidInputException if it is null, not serializable or too large
         */
        public Builder metadata(Map<String, ?> metadata) {
            if (metadata == null) {
                throw new InvalidInputException("metadata", "must not be null");
            }
            this.metadataJson = Json.object("metadata", metadata);
            return this;
        }

        /**
         * @param json metadata as JSON text; must be a JSON object of at most 64 KiB
         * @throws InvalidInputException if it is null, not a JSON object or too large
         */
        public Builder metadataJson(String json) {
            if (json == null) {
                throw new InvalidInputException("metadata", "must not be null");
            }
            this.metadataJson = Json.object("metadata", json);
            return this;
        }

        /**
         * @param total the amount of work, 0 to {@link io.tally.internal.Validation#MAX_COUNT} (2^53 − 1; 0: unknown); it
         *     may grow later with {@code job.addTotal}, up to the same limit
         * @throws InvalidInputException if it is negative or past the limit
         */
        public Builder total(long total) {
            this.total = Validation.count("total", total);
            return this;
        }

        /** @param start true to create the job RUNNING instead of PENDING (default false) */
        public Builder start(boolean start) {
            this.start = start;
            return this;
        }

        /**
         * Makes this a map-reduce job: parts are numbered {@code 0..n-1} in list order and each payload (a JSON
         * object, as a map, a POJO or JSON text) is stored with {@code jobId} and {@code partId} added. The total is the
         * number of parts.
         *
         * @throws InvalidInputException if the list is null or empty, has more than {@value #MAX_PARTS} parts or a null
         *     part
         */
        public Builder parts(List<?> parts) {
            if (parts == null || parts.isEmpty()) {
                throw new InvalidInputException("parts", "must not be empty");
            }
            if (parts.size() > MAX_PARTS) {
                throw new InvalidInputException("parts", "more than " + MAX_PARTS + " parts");
            }
            List<Object> copy = new ArrayList<>(parts.size());
            for (int i = 0; i < parts.size(); i++) {
                Object p = parts.get(i);
                if (p == null) {
                    throw new InvalidInputException("parts", "part " + i + " is null");
                }
                copy.add(p);
            }
            this.parts = copy;
            return this;
        }

        /**
         * @param n failed parts that still let the job succeed when the last part is done (default 0: every part must
         *     succeed, failed parts wait for a retry)
         * @throws InvalidInputException if it is negative
         */
        public Builder toleratedFailures(int n) {
            this.toleratedFailures = (int) Validation.nonNegative("toleratedFailures", n);
            return this;
        }

        /**
         * @param timeout execution deadline counted from the start; past it {@code sweep()} fails the job; null for
         *     none
         * @throws InvalidInputException if it is not positive or longer than 100 years
         */
        public Builder timeout(Duration timeout) {
            this.timeout = positive("timeout", timeout);
            return this;
        }

        /**
         * @param heartbeat lease length: a RUNNING job that neither heartbeats nor records progress for this long is
         *     failed as {@code stalled} by {@code sweep()}; null for no lease
         * @throws InvalidInputException if it is not positive or longer than 100 years
         */
        public Builder heartbeat(Duration heartbeat) {
            this.heartbeat = positive("heartbeat", heartbeat);
            return this;
        }

        /**
         * @param retainFor how long a finished job is kept before {@code sweep()} deletes it (default, or null: forever)
         * @throws InvalidInputException if it is not positive or longer than 100 years
         */
        public Builder retainFor(Duration retainFor) {
            this.retainFor = positive("retainFor", retainFor);
            return this;
        }

        /**
         * @param message an initial status line, null for none
         * @throws InvalidInputException if it is longer than 4096 characters or holds a NUL character
         */
        public Builder message(String message) {
            this.message = Validation.optionalText("message", message, Validation.MAX_MESSAGE);
            return this;
        }

        /**
         * @return the spec
         * @throws InvalidInputException if the name is missing, or a total was given that is not the number of parts
         */
        public JobSpec build() {
            if (name == null) {
                throw new InvalidInputException("name", "is required");
            }
            if (parts != null && total != 0 && total != parts.size()) {
                throw new InvalidInputException("total", "must equal the number of parts (" + parts.size() + ")");
            }
            return new JobSpec(this);
        }

        private static Duration positive(String field, Duration d) {
            if (d == null) {
                return null;
            }
            if (d.isNegative() || d.isZero()) {
                throw new InvalidInputException(field, "must be positive, was " + d);
            }
            if (d.compareTo(Duration.ofDays(36_500)) > 0) {
                throw new InvalidInputException(field, "longer than 100 years");
            }
            return d;
        }
    }
}
