package io.tally.store;

import io.tally.InvalidInputException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * The keyset position of a job listing: listings run newest first by {@code (createdAt, id)}, and a cursor names the
 * last job of the previous page. Opaque to users (URL-safe base64 of {@code millis:id}).
 *
 * @param createdAt creation time of the last job seen
 * @param id id of the last job seen
 */
public record Cursor(Instant createdAt, String id) {
    /** @return the cursor pointing after {@code record} */
    public static Cursor after(JobRecord record) {
        return new Cursor(record.createdAt(), record.id());
    }

    /** @return the opaque text form */
    public String encode() {
        String raw = createdAt.toEpochMilli() + ":" + id;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @param text a cursor from {@link #encode()}
     * @return the cursor
     * @throws InvalidInputException if the text is not a cursor
     */
    public static Cursor decode(String text) {
        try {
            String raw = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
            int colon = raw.indexOf(':');
            if (colon < 1 || colon == raw.length() - 1) {
                throw new IllegalArgumentException("no separator");
            }
            return new Cursor(Instant.ofEpochMilli(Long.parseLong(raw.substring(0, colon))), raw.substring(colon + 1));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("cursor", "not a cursor returned by a previous page");
        }
    }

    /**
     * @return true if {@code r} comes after this cursor in listing order (newest first)
     */
    public boolean isBefore(JobRecord r) {
        int c = r.createdAt().compareTo(createdAt);
        return c < 0 || (c == 0 && r.id().compareTo(id) < 0);
    }
}
