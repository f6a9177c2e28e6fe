package io.tally.server;

import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Checks the tokens, and hands the dashboard its read cookie. Writes need {@code token} (when set); reads need
 * {@code readToken} or {@code token} when a read token is set. Writes accept only the {@code Authorization: Bearer}
 * header, which a cross-site form cannot send; reads also accept the {@code tally_token} cookie because the browser's
 * EventSource cannot set headers. That cookie is set by the server ({@code POST /api/session} with either token), as
 * {@code HttpOnly}: no script reads it, not even a page of another server on the same host, whose cookies the browser
 * shares (cookies ignore the port).
 */
final class TokenAuth implements RouteGroup {
    static final String COOKIE = "tally_token";
    private static final String SESSION = "/api/session";

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
        // A session grants reads only, so either token may open one.
        boolean read = ctx.method().name().equals("GET")
                || ctx.method().name().equals("HEAD")
                || ctx.path().equals(SESSION);
        byte[] writeKey = token != null ? token : readToken;
        if (read ? readToken == null : writeKey == null) {
            return;
        }
        String given = bearer(ctx);
        if (given == null && read) {
            given = ctx.cookie(COOKIE);
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

    /**
     * {@code POST /api/session}: sets the read cookie to the bearer token the filter accepted (204; no cookie when
     * there is no token to carry). {@code DELETE /api/session}: clears it.
     */
    @Override
    public void register(io.javalin.Javalin app) {
        app.post(SESSION, ctx -> {
            Input.onlyParams(ctx);
            String given = bearer(ctx);
            if (given != null && (token != null || readToken != null)) {
                if (!given.matches("[A-Za-z0-9._~+/=-]{1,4096}")) {
                    throw ApiException.invalid("token: holds characters a cookie cannot carry");
                }
                setCookie(ctx, given, "");
            }
            ctx.status(204);
        });
        app.delete(SESSION, ctx -> {
            Input.onlyParams(ctx);
            setCookie(ctx, "", "; Max-Age=0");
            ctx.status(204);
        });
    }

    private static void setCookie(Context ctx, String value, String extra) {
        // Path /api: the only paths that read it. SameSite=Strict: never sent by another site's page.
        ctx.header("Set-Cookie", COOKIE + "=" + value + "; Path=/api; HttpOnly; SameSite=Strict" + extra);
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
