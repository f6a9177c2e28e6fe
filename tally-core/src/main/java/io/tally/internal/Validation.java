package io.tally.internal;

import io.tally.InvalidInputException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/** Checks shared by every edge (API, HTTP, CLI): each failure names the field and writes nothing. */
public final class Validation {
    /** Longest id. */
    public static final int MAX_ID = 128;
    /** Longest name, scope, item key or reason. */
    public static final int MAX_NAME = 512;
    /** Largest metadata, result or part payload, in bytes of JSON. */
    public static final int MAX_JSON_BYTES = 64 * 1024;
    /** Longest status line. */
    public static final int MAX_MESSAGE = 4096;
    /**
     * Largest counter ({@code succeeded}, {@code failed}, {@code total}) and largest count one call may add:
     * 2<sup>53</sup> − 1. Every store holds it exactly (Redis's Lua numbers are doubles, exact only up to it) and so
     * does every JSON reader (JavaScript reads numbers as doubles); the job's rules refuse a step past it.
     */
    public static final long MAX_COUNT = (1L << 53) - 1;

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1," + MAX_ID + "}");

    private Validation() {}

    /** @return {@code id} if it is 1–128 characters of {@code [A-Za-z0-9._:-]} */
    public static String id(String field, String id) {
        if (id == null || id.isEmpty()) {
            throw new InvalidInputException(field, "must not be empty");
        }
        if (id.length() > MAX_ID) {
            throw new InvalidInputException(field, "longer than " + MAX_ID + " characters");
        }
        if (!ID.matcher(id).matches()) {
            throw new InvalidInputException(
                    field, "may only contain A-Z a-z 0-9 . _ : - (was '" + printable(id) + "')");
        }
        return id;
    }

    /** @return {@code text} if it is not blank and at most {@code max} characters */
    public static String text(String field, String text, int max) {
        if (text == null || text.isBlank()) {
            throw new InvalidInputException(field, "must not be blank");
        }
        return optionalText(field, text, max);
    }

    /**
     * @return {@code text} (may be null) if at most {@code max} characters, free of NUL characters (which PostgreSQL
     *     cannot store, so no store accepts them) and of lone surrogates (invalid Unicode, which a store would keep as
     *     {@code ?}: not what was sent)
     */
    public static String optionalText(String field, String text, int max) {
        if (text == null) {
            return null;
        }
        if (text.length() > max) {
            throw new InvalidInputException(field, "longer than " + max + " characters");
        }
        if (text.indexOf('\0') >= 0) {
            throw new InvalidInputException(field, "must not contain NUL characters");
        }
        if (hasLoneSurrogate(text)) {
            throw new InvalidInputException(field, "contains invalid Unicode (a lone surrogate)");
        }
        return text;
    }

    /**
     * @return {@code bytes} decoded as UTF-8, refused naming the field if they are not UTF-8 (an overlong form, a byte
     *     no UTF-8 has, a cut sequence): never replaced by U+FFFD behind the sender's back
     */
    public static String utf8(String field, byte[] bytes) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new InvalidInputException(field, "is not valid UTF-8");
        }
    }

    /** @return true if {@code s} holds a UTF-16 surrogate that is not half of a pair (no valid UTF-8 encodes it) */
    public static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    /** @return {@code n} if it is a count: 0 to {@link #MAX_COUNT} */
    public static long count(String field, long n) {
        if (n > MAX_COUNT) {
            throw new InvalidInputException(field, "must be at most " + MAX_COUNT + " (2^53 - 1), was " + n);
        }
        return nonNegative(field, n);
    }

    /** @return {@code n} if it is ≥ 0 */
    public static long nonNegative(String field, long n) {
        if (n < 0) {
            throw new InvalidInputException(field, "must not be negative, was " + n);
        }
        return n;
    }

    private static String printable(String s) {
        String cut = s.length() > 40 ? s.substring(0, 40) + "…" : s;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
