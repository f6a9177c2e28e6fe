package io.tally.runner;

import java.time.Duration;
import java.util.Objects;

/**
 * The checks every dispatcher builder makes of its settings: they are the program's own, so a bad one is an
 * {@link IllegalArgumentException} and a null a {@link NullPointerException} (the {@link Worker} answers them as
 * invalid input naming the option).
 */
final class DispatcherChecks {
    private DispatcherChecks() {}

    static String text(String field, String value) {
        if (Objects.requireNonNull(value, field).isBlank() || value.length() > 256) {
            throw new IllegalArgumentException(field + " must be 1–256 characters, was '" + value + "'");
        }
        return value;
    }

    static int atLeastOne(String field, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(field + " must be at least 1, was " + value);
        }
        return value;
    }

    static Duration atLeast(String field, Duration value, Duration min) {
        if (Objects.requireNonNull(value, field).compareTo(min) < 0) {
            throw new IllegalArgumentException(field + " must be at least " + min + ", was " + value);
        }
        return value;
    }

    static String url(String field, String url) {
        if (url == null || url.isBlank()) {
            throw new io.tally.InvalidInputException(field, "must not be blank");
        }
        return url;
    }
}
