package io.tally.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.tally.internal.Json;
import io.tally.internal.Validation;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads request input strictly: bounded bodies, JSON objects with known fields only, typed values, known query
 * parameters only. Every failure is an {@link ApiException} with a message naming the field, so a client learns what to
 * fix and nothing is written.
 */
final class Input {
    private Input() {}

    /** Rejects query parameters not in {@code allowed}, so a typo ({@code ?stat=RUNNING}) is not silently ignored. */
    static void onlyParams(Context ctx, String... allowed) {
        Set<String> ok = Set.of(allowed);
        for (String p : ctx.queryParamMap().keySet()) {
            if (!ok.contains(p)) {
                throw ApiException.invalid("unknown query parameter '" + clip(p) + "'"
                        + (allowed.length == 0 ? "" : "; allowed: " + String.join(", ", allowed)));
            }
        }
    }

    /**
     * Refuses a request whose path or query string holds a malformed percent-encoding: a {@code %} not followed by two
     * hex digits, an encoded NUL, or encoded bytes that are not UTF-8 (an overlong form such as {@code %C0%AF},
     * {@code %FF}, a cut sequence). Jetty refuses some of these itself and decodes the rest leniently (into U+FFFD),
     * which a handler could not tell from what was sent, so every {@code /api/} route gets the same 400 here, before
     * any handler runs.
     */
    static void uriEncoding(Context ctx) {
        percentEncoded("path", ctx.req().getRequestURI());
        percentEncoded("query", ctx.req().getQueryString());
    }

    private static void percentEncoded(String part, String raw) {
        if (raw == null || raw.indexOf('%') < 0) {
            return; // nothing encoded: the common request pays one scan
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        int literal = 0;
        for (int i = 0; i < raw.length(); i++) {
            if (raw.charAt(i) != '%') {
                continue;
            }
            bytes.writeBytes(raw.substring(literal, i).getBytes(StandardCharsets.UTF_8));
            int hi = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
            int lo = hi < 0 ? -1 : Character.digit(raw.charAt(i + 2), 16);
            if (lo < 0) {
                throw ApiException.invalid(part + ": a malformed percent-encoding ('%' must be followed by two hex "
                        + "digits) in '" + clip(raw) + "'");
            }
            if (hi == 0 && lo == 0) {
                throw ApiException.invalid(part + ": must not contain an encoded NUL (%00)");
            }
            bytes.write(hi * 16 + lo);
            i += 2;
            literal = i + 1;
        }
        bytes.writeBytes(raw.substring(literal).getBytes(StandardCharsets.UTF_8));
        Validation.utf8(part, bytes.toByteArray()); // (an InvalidInputException: 400 invalid, naming the part)
    }

    /** @return the body, read up to {@code max} bytes; 413 past that */
    static byte[] body(Context ctx, long max) {
        long declared = ctx.req().getContentLengthLong();
        if (declared > max) {
            throw tooLarge(max);
        }
        try (InputStream in = ctx.req().getInputStream()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) > 0) {
                if (out.size() + n > max) {
                    throw tooLarge(max);
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } catch (IOException e) {
            if (e.getCause() instanceof java.util.concurrent.TimeoutException) {
                throw new ApiException(
                        408,
                        "timeout",
                        "the request body stopped arriving (for " + TallyServer.BODY_IDLE_TIMEOUT.toSeconds() + " s)");
            }
            throw ApiException.invalid("could not read the request body (the connection failed)");
        }
    }

    static ApiException tooLarge(long max) {
        return new ApiException(413, "too_large", "request body larger than " + max + " bytes");
    }

    private static final Pattern PART_NUMBER = Pattern.compile("[0-9]{1,10}");
    private static final Pattern INTEGER = Pattern.compile("-?[0-9]{1,10}");

    /**
     * @param required false to accept an empty body as {@code {}}
     * @return the body as a JSON object
     */
    static ObjectNode object(Context ctx, long max, boolean required, String... fields) {
        byte[] raw = body(ctx, max);
        String text = Validation.utf8("body", raw);
        if (text.isBlank()) {
            if (required) {
                throw ApiException.invalid("a JSON object body is required");
            }
            return JobJson.MAPPER.createObjectNode();
        }
        JsonNode node;
        try {
            node = Json.STRICT.readTree(text); // nothing after the value, no key twice
        } catch (JsonProcessingException e) {
            throw ApiException.invalid("malformed JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw ApiException.invalid("the body must be a JSON object");
        }
        checkUnicode(node, "");
        ObjectNode o = (ObjectNode) node;
        onlyFields(o, fields);
        return o;
    }

    /** Refuses a field of {@code o} not among {@code fields}, naming it and the allowed ones. */
    static void onlyFields(ObjectNode o, String... fields) {
        Set<String> known = Set.of(fields);
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) {
                throw ApiException.invalid("unknown field '" + clip(f) + "'; allowed: " + String.join(", ", fields));
            }
        }
    }

    /**
     * Refuses a lone surrogate anywhere in the tree (a JSON escape such as {@code "\ud800"} decodes to one): it cannot
     * be stored as what the client sent, so the field is named rather than the text silently changed.
     */
    private static void checkUnicode(JsonNode node, String path) {
        if (node.isTextual()) {
            if (Validation.hasLoneSurrogate(node.textValue())) {
                throw ApiException.invalid(
                        (path.isEmpty() ? "body" : path) + ": contains invalid Unicode (a lone " + "surrogate)");
            }
        } else if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                String at = path.isEmpty() ? f.getKey() : path + "." + f.getKey();
                if (Validation.hasLoneSurrogate(f.getKey())) {
                    throw ApiException.invalid(
                            (path.isEmpty() ? "body" : path) + ": a key contains invalid Unicode (a lone surrogate)");
                }
                checkUnicode(f.getValue(), at);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                checkUnicode(node.get(i), path + "[" + i + "]");
            }
        }
    }

    /** @return the field's text, or null when absent or null */
    static String text(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ApiException.invalid(field + ": must be a string");
        }
        return v.asText();
    }

    /** @return the field as a long, or {@code dflt} when absent */
    static long integer(JsonNode o, String field, long dflt) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw ApiException.invalid(field + ": must be an integer");
        }
        return v.asLong();
    }

    /** @return the field as an int, or {@code dflt} when absent */
    static int smallInt(JsonNode o, String field, int dflt) {
        long n = integer(o, field, dflt);
        if (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) {
            throw ApiException.invalid(field + ": out of range");
        }
        return (int) n;
    }

    /** @return the field as a boolean, or {@code dflt} when absent */
    static boolean bool(JsonNode o, String field, boolean dflt) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw ApiException.invalid(field + ": must be true or false");
        }
        return v.asBoolean();
    }

    /** @return a duration given as an ISO-8601 string ({@code PT30S}) or a number of seconds, or null when absent */
    static Duration duration(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isNumber()) {
            double s = v.asDouble();
            if (!Double.isFinite(s) || s <= 0 || s > 36_500L * 86_400) {
                throw ApiException.invalid(field + ": must be a positive number of seconds");
            }
            return Duration.ofMillis(Math.round(s * 1000));
        }
        if (v.isTextual()) {
            try {
                return Duration.parse(v.asText());
            } catch (DateTimeParseException e) {
                throw ApiException.invalid(field + ": must be an ISO-8601 duration (PT30S) or seconds");
            }
        }
        throw ApiException.invalid(field + ": must be an ISO-8601 duration (PT30S) or seconds");
    }

    /** @return the query parameter as an int in [min, max], or {@code dflt} when absent */
    static int intParam(Context ctx, String name, int dflt, int min, int max) {
        String v = ctx.queryParam(name);
        if (v == null) {
            return dflt;
        }
        try {
            if (!INTEGER.matcher(v).matches()) {
                throw new NumberFormatException(); // ASCII digits only: no '+', no other scripts' digits
            }
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                throw ApiException.invalid(name + ": must be between " + min + " and " + max + ", was " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw ApiException.invalid(name + ": must be an integer, was '" + clip(v) + "'");
        }
    }

    /** @return the path parameter as a part number (≥ 0) */
    static int partParam(Context ctx) {
        String v = ctx.pathParam("n");
        // ASCII digits only: Integer.parseInt would take "+1" and digits of other scripts (１, ١) as 1.
        if (!PART_NUMBER.matcher(v).matches()) {
            throw ApiException.invalid("part: must be a non-negative integer in ASCII digits, was '" + clip(v) + "'");
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw ApiException.invalid("part: out of range, was '" + clip(v) + "'");
        }
    }

    /** Cuts echoed input so an error message cannot be used to reflect a huge payload. */
    static String clip(String s) {
        String c = s.length() > 60 ? s.substring(0, 60) + "…" : s;
        return c.replaceAll("\\p{Cntrl}", "?");
    }

    /** @return the query parameter, or null when absent; 400 when given empty ({@code ?job=} is not "every job") */
    static String nonBlankParam(Context ctx, String name) {
        String v = ctx.queryParam(name);
        if (v != null && v.isBlank()) {
            throw ApiException.invalid(name + ": must not be empty (leave it out for no filter)");
        }
        return v;
    }

    /** @return {@code s}, or null when it is null or blank: an empty query parameter means "not given" */
    static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
