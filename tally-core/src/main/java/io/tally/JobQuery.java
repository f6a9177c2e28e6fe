package io.tally;

import io.tally.internal.Validation;
import java.util.Optional;

/**
 * A listing of jobs, newest first, filtered by any of state, scope, name and parent (all given filters must match).
 * Served by the store's indexes with keyset pagination: pass {@link Page#next()} back as {@link Builder#cursor}.
 */
public final class JobQuery {
    /** Default page size. */
    public static final int DEFAULT_LIMIT = 50;
    /** Largest page size. */
    public static final int MAX_LIMIT = 1000;

    private final JobState state;
    private final String scope;
    private final String name;
    private final String parent;
    private final int limit;
    private final String cursor;

    private JobQuery(Builder b) {
        this.state = b.state;
        this.scope = b.scope;
        this.name = b.name;
        this.parent = b.parent;
        this.limit = b.limit;
        this.cursor = b.cursor;
    }

    /** @return a new builder */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the state filter */
    public Optional<JobState> state() {
        return Optional.ofNullable(state);
    }

    /** @return the scope filter */
    public Optional<String> scope() {
        return Optional.ofNullable(scope);
    }

    /** @return the name filter */
    public Optional<String> name() {
        return Optional.ofNullable(name);
    }

    /** @return the parent filter */
    public Optional<String> parent() {
        return Optional.ofNullable(parent);
    }

    /** @return the page size */
    public int limit() {
        return limit;
    }

    /** @return the cursor of the page to read, empty for the first page */
    public Optional<String> cursor() {
        return Optional.ofNullable(cursor);
    }

    /** @return a builder holding this query's values */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.state = state;
        b.scope = scope;
        b.name = name;
        b.parent = parent;
        b.limit = limit;
        b.cursor = cursor;
        return b;
    }

    @Override
    public String toString() {
        return "JobQuery{state=" + state + ", scope=" + scope + ", name=" + name + ", parent=" + parent + ", limit="
                + limit + ", cursor=" + cursor + "}";
    }

    /**
     * Builds a {@link JobQuery}; every setter validates at once. A query is input — its filters, page size and cursor
     * are often what came over HTTP or a command line — so a bad value is an {@link InvalidInputException} naming
     * the field.
     */
    public static final class Builder {
        private JobState state;
        private String scope;
        private String name;
        private String parent;
        private int limit = DEFAULT_LIMIT;
        private String cursor;

        private Builder() {}

        /** @param state only jobs in this state; null for any */
        public Builder state(JobState state) {
            this.state = state;
            return this;
        }

        /**
         * @param scope only jobs with this scope; null for any
         * @throws InvalidInputException if it is blank, longer than 512 characters or holds a NUL character
         */
        public Builder scope(String scope) {
            this.scope = scope == null ? null : Validation.text("scope", scope, Validation.MAX_NAME);
            return this;
        }

        /**
         * @param name only jobs with this name; null for any
         * @throws InvalidInputException if it is blank, longer than 512 characters or holds a NUL character
         */
        public Builder name(String name) {
            this.name = name == null ? null : Validation.text("name", name, Validation.MAX_NAME);
            return this;
        }

        /**
         * @param parent only children of this job; null for any
         * @throws InvalidInputException if it is not a valid id
         */
        public Builder parent(String parent) {
            this.parent = parent == null ? null : Validation.id("parent", parent);
            return this;
        }

        /**
         * @param limit page size, 1–{@value #MAX_LIMIT} (default {@value #DEFAULT_LIMIT})
         * @throws InvalidInputException if it is outside that range
         */
        public Builder limit(int limit) {
            if (limit < 1 || limit > MAX_LIMIT) {
                throw new InvalidInputException("limit", "must be between 1 and " + MAX_LIMIT + ", was " + limit);
            }
            this.limit = limit;
            return this;
        }

        /**
         * @param cursor {@link Page#next()} of the previous page; null for the first page
         * @throws InvalidInputException if it cannot be read as a cursor
         */
        public Builder cursor(String cursor) {
            if (cursor != null) {
                io.tally.store.Cursor.decode(cursor); // validates
            }
            this.cursor = cursor;
            return this;
        }

        /** @return the query */
        public JobQuery build() {
            return new JobQuery(this);
        }
    }
}
