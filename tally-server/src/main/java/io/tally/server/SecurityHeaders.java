package io.tally.server;

import io.javalin.http.Context;

/** The headers every answer carries, API and dashboard alike. */
final class SecurityHeaders {
    /**
     * Scripts and styles only from this server, no inline script, no framing: the dashboard renders job data, and a
     * job name must never become code.
     */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private SecurityHeaders() {}

    static void apply(Context ctx) {
        ctx.header("Content-Security-Policy", CSP);
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.header("Cross-Origin-Opener-Policy", "same-origin");
        ctx.header("Cross-Origin-Resource-Policy", "same-origin");
        ctx.header("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
        // API answers are live state; the dashboard's files override this with no-cache.
        ctx.header("Cache-Control", "no-store");
    }
}
