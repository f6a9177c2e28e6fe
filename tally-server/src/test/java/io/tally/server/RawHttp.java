package io.tally.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One HTTP/1.1 request written byte for byte on a socket, for what {@code java.net.http} will not send (a foreign
 * {@code Host}, a malformed target): the answer's status and, when it is JSON, its body parsed.
 */
final class RawHttp {
    private RawHttp() {}

    /** An answer: status, body, the body as JSON or null. */
    record Answer(int status, String body, JsonNode json) {
        /** @return the JSON error's code, or "" */
        String errorCode() {
            return json == null ? "" : json.path("error").path("code").asText();
        }
    }

    /**
     * @param port the server's port on 127.0.0.1
     * @param requestHead everything up to the blank line, e.g. {@code "GET / HTTP/1.1\r\nHost: x"} (Connection: close
     *     and the blank line are added)
     * @param body sent after the head, with its Content-Length; empty for none
     */
    static Answer send(int port, String requestHead, String body) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            OutputStream out = s.getOutputStream();
            out.write((requestHead + "\r\nConnection: close\r\n"
                            + (b.length > 0
                                    ? "Content-Type: application/json\r\nContent-Length: " + b.length + "\r\n"
                                    : "")
                            + "\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.write(b);
            out.flush();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            s.getInputStream().transferTo(all);
            String text = all.toString(StandardCharsets.UTF_8);
            int split = text.indexOf("\r\n\r\n");
            String head = text.substring(0, split).toLowerCase();
            String content = text.substring(split + 4);
            JsonNode json = head.contains("content-type: application/json") && !head.contains("transfer-encoding")
                    ? JobJson.MAPPER.readTree(content)
                    : null;
            return new Answer(Integer.parseInt(text.substring(9, 12)), content, json);
        }
    }
}
