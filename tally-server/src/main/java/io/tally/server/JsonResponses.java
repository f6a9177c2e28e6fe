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

    /** @return the error shape, for an answer that adds fields beside {@code error} */
    static ObjectNode errorBody(String code, String message) {
        ObjectNode o = JobJson.MAPPER.createObjectNode();
        ObjectNode e = o.putObject("error");
        e.put("code", code);
        e.put("message", message == null ? code : message);
        return o;
    }
}
