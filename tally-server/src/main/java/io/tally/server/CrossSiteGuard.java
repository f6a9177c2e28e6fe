package io.tally.server;

import io.javalin.http.Context;
import java.net.URI;
import java.util.Locale;

/**
 * Refuses what a web page on another site could make a browser send to a dashboard on 127.0.0.1 without a preflight:
 * a "simple" cross-site request ({@code text/plain} or form-encoded). Mutating calls under {@code /api/} must send
 * JSON ({@code Content-Type: application/json}, or no body and no type; else 415), and when they carry an
 * {@code Origin} it must be this server's own (else 403). The bearer token guards writes too where one is set; this
 * guards the servers without one.
 */
final class CrossSiteGuard {
    private CrossSiteGuard() {}

    /** A before-handler for {@code /api/*}. */
    static void check(Context ctx) {
        String method = ctx.method().name();
        if (method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS")) {
            return;
        }
        String origin = ctx.header("Origin");
        if (origin != null && !sameOrigin(origin, ctx.header("Host"))) {
            throw new ApiException(403, "forbidden", "cross-site request refused (Origin " + Input.clip(origin) + ")");
        }
        String type = ctx.header("Content-Type");
        boolean hasBody = ctx.req().getContentLengthLong() > 0 || ctx.header("Transfer-Encoding") != null;
        if (type == null ? hasBody : !isJson(type)) {
            throw new ApiException(
                    415, "unsupported_media_type", "send the body as JSON (Content-Type: application/json)");
        }
    }

    private static boolean isJson(String contentType) {
        String media = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        return media.equals("application/json");
    }

    /** @return whether {@code origin} (scheme://host[:port]) names the host the request was sent to */
    private static boolean sameOrigin(String origin, String host) {
        if (host == null) {
            return false;
        }
        try {
            URI u = URI.create(origin);
            String authority = u.getRawAuthority();
            return authority != null && authority.equalsIgnoreCase(host);
        } catch (IllegalArgumentException e) {
            return false; // "null" (a sandboxed frame, a file: page) or garbage
        }
    }
}
