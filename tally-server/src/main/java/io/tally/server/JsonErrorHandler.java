package io.tally.server;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.ErrorHandler;

/**
 * Jetty's own error answers in the API's JSON shape: a request Jetty refuses before Javalin sees it (a malformed
 * percent-encoding, a URI or header too long) would otherwise get an HTML page. The message is Jetty's reason, never
 * a stack trace.
 */
final class JsonErrorHandler extends ErrorHandler {
    JsonErrorHandler() {
        setShowStacks(false);
        setShowServlet(false);
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, JsonResponses.JSON);
        return ByteBuffer.wrap(body(status, reason));
    }

    @Override
    protected void generateAcceptableResponse(
            Request baseRequest, HttpServletRequest request, HttpServletResponse response, int code, String message)
            throws IOException {
        response.setContentType(JsonResponses.JSON);
        response.getOutputStream().write(body(code, message));
        baseRequest.setHandled(true);
    }

    private static byte[] body(int status, String reason) {
        String code = JsonResponses.codeFor(status);
        String message = reason == null || reason.isBlank() ? "bad request (" + status + ")" : Input.clip(reason);
        return JsonResponses.errorBody(code, message).toString().getBytes(StandardCharsets.UTF_8);
    }
}
