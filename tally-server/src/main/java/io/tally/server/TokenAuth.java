package io.tally.server;

import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Checks the tokens. Writes need {@code token} (when set); reads need {@code readToken} or {@code token} when a read
 * token is set. Writes accept only the {@code Authorization: Bearer} header, which a cross-site form cannot send;
 * reads also accept the {@code tally_token} cookie because the browser's EventSource cannot set headers.
 */
final class TokenAuth {
    private final byte[] token;
    private final byte[] readToken;

    /**
     * @param token the write token, or null for open writes (unless a read token is set: then it guards writes too)
     * @param readToken the read token, or null for open reads
     */
    TokenAuth(String token, String readToken) {
        this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
        this.readToken = readToken == null ? null : readToken.getBytes(StandardCharsets.UTF_8);
    }

    /** A before-handler: returns when the request may go on, else throws a 401 {@link ApiException}. */
    void authorize(Context ctx) {
        boolean read = ctx.method().name().equals("GET") || ctx.method().name().equals("HEAD");
        byte[] writeKey = token != null ? token : readToken;
        if (read ? readToken == null : writeKey == null) {
            return;
        }
        String given = bearer(ctx);
        if (given == null && read) {
            given = ctx.cookie("tally_token");
        }
        byte[] g = given == null ? new byte[0] : given.getBytes(StandardCharsets.UTF_8);
        boolean ok = read ? matches(g, readToken) || matches(g, token) : matches(g, writeKey);
        if (!ok) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"tally\"");
            throw new ApiException(
                    401,
                    "unauthorized",
                    given == null ? "a token is required (Authorization: Bearer …)" : "wrong token");
        }
    }

    private static boolean matches(byte[] given, byte[] expected) {
        // MessageDigest.isEqual compares in time independent of where the bytes differ.
        return expected != null && MessageDigest.isEqual(given, expected);
    }

    private static String bearer(Context ctx) {
        String h = ctx.header("Authorization");
        if (h == null) {
            return null;
        }
        return h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim() : h.trim();
    }
}
