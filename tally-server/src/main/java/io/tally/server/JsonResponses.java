package io.tally.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;

/** Writes JSON answers, and the one error shape every failure uses: {@code {"error":{"code":…,"message":…}}}. */
final class JsonResponses {
    static final String JSON = "application/json";

    private JsonResponses() {}

    static void send(Context ctx, int status, JsonNode body) {
        ctx.status(status).contentType(JSON).result(body.toString());
    }

    static void error(Context ctx, int status, String code, String message) {
        send(ctx, status, errorBody(code, message));
    }

    /** @return the error code of an HTTP status that no handler named more precisely (Jetty's, Javalin's own) */
    static String codeFor(int status) {
        return switch (status) {
            case 401 -> "unauthorized";
            case 404 -> "not_found";
            case 408 -> "timeout";
            case 413 -> "too_large";
            case 414 -> "uri_too_long";
            case 415 -> "unsupported_media_type";
            case 431 -> "headers_too_large";
            case 503 -> "unavailable";
            default -> status >= 500 ? "internal" : "invalid";
        };
    }

    /** @return the error shape, for an answer that adds fields beside {@code error} */
    static ObjectNode errorBody(String code, String message) {
        ObjectNode o = JobJson.MAPPER.createObjectNode();
        ObjectNode e = o.putObject("error");
        e.put("code", code);
        e.put("message", message == null ? code : message);
        return o;
    }
}
