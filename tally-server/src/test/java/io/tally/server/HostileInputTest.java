package io.tally.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tally.Tally;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Input a well-behaved HTTP client would never send, written to the socket as raw bytes: each is refused with the
 * API's JSON error shape and writes nothing.
 */
class HostileInputTest {
    Tally tally;
    TallyServer server;
    Http http;
    String parts;

    @BeforeEach
    void start() {
        tally = Tally.open("memory:");
        server = TallyServer.builder().tally(tally).port(0).build().start();
        http = new Http(server.url());
        parts = http.post("/api/jobs", "{\"name\":\"mr\",\"parts\":[{},{},{}]}")
                .json()
                .get("id")
                .asText();
    }

    @AfterEach
    void stop() {
        server.close();
        tally.close();
    }

    /** A response: its status line's code and its body parsed as JSON (null if it is not JSON). */
    record Raw(int status, String contentType, JsonNode json, String body) {}

    private Raw raw(String method, String target, String contentType, byte[] body, String... headers) throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            StringBuilder head = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:"
                    + server.port() + "\r\nConnection: close\r\n");
            if (contentType != null) {
                head.append("Content-Type: ").append(contentType).append("\r\n");
            }
            for (String h : headers) {
                head.append(h).append("\r\n");
            }
            head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
            OutputStream out = s.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            String text = all.toString(StandardCharsets.UTF_8);
            int status = Integer.parseInt(text.substring(9, 12));
            int split = text.indexOf("\r\n\r\n");
            String headersText = text.substring(0, split).toLowerCase();
            String type = headersText.contains("content-type: application/json") ? "json" : headersText;
            String bodyText = text.substring(split + 4);
            JsonNode json = null;
            if (type.equals("json")) {
                json = JobJson.MAPPER.readTree(bodyText);
            }
            return new Raw(status, type, json, bodyText);
        }
    }

    private Raw post(String target, String json) throws Exception {
        return raw("POST", target, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    private void refused(Raw r, int status, String code) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.json()).as("a JSON error, not " + r.body()).isNotNull();
        assertThat(r.json().path("error").path("code").asText()).isEqualTo(code);
        assertThat(r.json().path("error").path("message").asText()).isNotBlank();
    }

    private long jobs() {
        return http.get("/api/jobs?limit=1000").json().get("jobs").size();
    }

    @Test
    void trailingTokensAfterTheJsonBodyAreRefused() throws Exception {
        refused(post("/api/jobs", "{\"name\":\"x\"} xx"), 400, "invalid");
        refused(post("/api/jobs", "{\"name\":\"x\"}{\"name\":\"y\"}"), 400, "invalid");
        assertThat(jobs()).isEqualTo(1);
    }

    @Test
    void aKeyGivenTwiceIsRefused() throws Exception {
        refused(post("/api/jobs", "{\"name\":\"x\",\"name\":\"y\"}"), 400, "invalid");
        assertThat(jobs()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"+1", "%EF%BC%91", "%D9%A1", "01x", "1.0", "99999999999"})
    void partNumbersAreAsciiDigitsOnly(String part) throws Exception {
        Raw r = raw("POST", "/api/jobs/" + parts + "/parts/" + part + "/complete", null, new byte[0]);
        refused(r, 400, "invalid");
        assertThat(tally.get(parts).snapshot().succeeded()).isZero();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"name\":\"\\ud800\"}",
                "{\"name\":\"x\",\"scope\":\"a\\udc00b\"}",
                "{\"name\":\"x\",\"metadata\":{\"k\":[\"\\ud83d\"]}}",
                "{\"name\":\"x\",\"metadata\":{\"\\udfff\":1}}"
            })
    void loneSurrogatesAreRefusedNamingTheField(String body) throws Exception {
        Raw r = post("/api/jobs", body);
        refused(r, 400, "invalid");
        assertThat(r.json().path("error").path("message").asText()).contains("invalid Unicode");
        assertThat(jobs()).isEqualTo(1);
    }

    @Test
    void aPairedSurrogateIsFine() throws Exception {
        Raw r = post("/api/jobs", "{\"name\":\"rocket \\ud83d\\ude80\"}");
        assertThat(r.status()).isEqualTo(201);
        assertThat(r.json().get("name").asText()).isEqualTo("rocket 🚀");
    }

    @Test
    void invalidUtf8IsRefused() throws Exception {
        byte[] body = {'{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        refused(raw("POST", "/api/jobs", "application/json", body), 400, "invalid");
        assertThat(jobs()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/api/jobs/%ZZ/start",
                "/api/jobs/%/start",
                "/api/jobs/a%00b",
                "/api/events?job=%ZZ",
                "/api/jobs?scope=%C0%AF",
                "/api/jobs?name=a%FF",
                "/api/jobs?scope=%00",
                "/api/jobs?name=%E2%82"
            })
    void malformedPercentEncodingGetsTheJsonErrorShape(String target) throws Exception {
        Raw r = raw(target.contains("?") ? "GET" : "POST", target, null, new byte[0]);
        refused(r, 400, "invalid");
    }

    /**
     * Every route the server registers (as Javalin announced them: a route added later is walked too), each of its
     * path parameters in turn given a malformed percent-encoding while the others hold valid values: a bad hex digit, a
     * lone {@code %} (alone and at the end), an encoded NUL, an overlong UTF-8 encoding of {@code /}, bytes that are no
     * UTF-8 at all and a truncated sequence. Each answers 400 in the JSON error shape, writes nothing and logs no stack
     * trace.
     */
    @Test
    void everyRouteRefusesAMalformedPercentEncodingInEachPathParameterAndWritesNothing() throws Exception {
        tally.get(parts).log("INFO", "kept");
        List<String> bad = List.of("%ZZ", "%", "a%", "%00", "%C0%AF", "%FF", "%E2%82");
        Map<String, String> valid = Map.of("id", parts, "n", "0");
        String before = stored();
        PrintStream err = System.err;
        ByteArrayOutputStream logged = new ByteArrayOutputStream();
        List<String> walked = new ArrayList<>();
        System.setErr(new PrintStream(logged, true, StandardCharsets.UTF_8));
        try {
            for (String route : server.routes()) {
                String method = route.substring(0, route.indexOf(' '));
                String path = route.substring(route.indexOf(' ') + 1);
                List<String> params = PATH_PARAM
                        .matcher(path)
                        .results()
                        .map(MatchResult::group)
                        .toList();
                for (String param : params) {
                    for (String segment : bad) {
                        String target = PATH_PARAM
                                .matcher(path)
                                .replaceAll(m -> m.group().equals(param)
                                        ? Matcher.quoteReplacement(segment)
                                        : valid.get(m.group().replaceAll("[{}<>]", "")));
                        Raw r = raw(method, target, null, new byte[0]);
                        assertThat(r.status())
                                .as("%s %s: %s", method, target, r.body())
                                .isEqualTo(400);
                        assertThat(r.json())
                                .as("%s %s: JSON, not %s", method, target, r.body())
                                .isNotNull();
                        assertThat(r.json().path("error").path("code").asText()).isEqualTo("invalid");
                        assertThat(r.json().path("error").path("message").asText())
                                .isNotBlank();
                        walked.add(method + " " + target);
                    }
                }
            }
        } finally {
            System.setErr(err);
        }
        assertThat(walked)
                .as("routes with path parameters, walked")
                .anyMatch(w -> w.startsWith("POST /api/jobs/%ZZ/progress"))
                .anyMatch(w -> w.startsWith("DELETE /api/jobs/%FF"))
                .anyMatch(w -> w.equals("POST /api/jobs/" + parts + "/parts/%C0%AF/complete"));
        assertThat(stored()).as("nothing written").isEqualTo(before);
        assertThat(logged.toString(StandardCharsets.UTF_8))
                .as("no stack trace logged")
                .doesNotContain("\tat ", "Exception");
    }

    /** A path parameter of a route as Javalin writes it: {@code {id}} or {@code <path>}. */
    private static final Pattern PATH_PARAM = Pattern.compile("\\{[^}/]+}|<[^>/]+>");

    /** @return every job as stored, with its items and logs: what a refused request must leave as it was */
    private String stored() {
        StringBuilder out = new StringBuilder();
        for (var j :
                tally.query(io.tally.JobQuery.builder().limit(1000).build()).items()) {
            out.append(j.record())
                    .append(tally.get(j.id()).items())
                    .append(tally.get(j.id()).logs(0, 1000));
        }
        return out.toString();
    }

    @Test
    void aUriOverTheLimitGetsTheJsonErrorShape() throws Exception {
        Raw r = raw("GET", "/api/jobs/" + "a".repeat(20_000), null, new byte[0]);
        assertThat(r.status()).isIn(414, 431, 400);
        assertThat(r.json()).as("JSON, not " + r.body()).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"})
    void mutatingCallsTakeJsonOnly(String type) throws Exception {
        Raw r = raw("POST", "/api/jobs", type, "{\"name\":\"x\"}".getBytes(StandardCharsets.UTF_8));
        refused(r, 415, "unsupported_media_type");
        Raw cancel = raw("POST", "/api/jobs/" + parts + "/cancel", type, new byte[0]);
        refused(cancel, 415, "unsupported_media_type");
        assertThat(jobs()).isEqualTo(1);
        assertThat(tally.get(parts).snapshot().state().isTerminal()).isFalse();
    }

    @Test
    void aCrossSiteOriginIsRefusedAndTheServersOwnIsNot() throws Exception {
        byte[] body = "{\"name\":\"x\"}".getBytes(StandardCharsets.UTF_8);
        refused(raw("POST", "/api/jobs", "application/json", body, "Origin: https://evil.example"), 403, "forbidden");
        refused(raw("POST", "/api/jobs", "application/json", body, "Origin: null"), 403, "forbidden");
        assertThat(jobs()).isEqualTo(1);
        Raw own = raw("POST", "/api/jobs", "application/json", body, "Origin: http://127.0.0.1:" + server.port());
        assertThat(own.status()).isEqualTo(201);
        Raw noBody = raw("POST", "/api/jobs/" + parts + "/start", null, new byte[0]);
        assertThat(noBody.status()).as("no body, no type: fine").isEqualTo(200);
    }

    @Test
    void eventStreamFiltersAreCheckedBeforeStreaming() throws Exception {
        refused(raw("GET", "/api/events?job=", null, new byte[0]), 400, "invalid");
        refused(raw("GET", "/api/events?parent=", null, new byte[0]), 400, "invalid");
        refused(raw("GET", "/api/events?parent=no-such-job", null, new byte[0]), 404, "not_found");
        refused(raw("GET", "/api/events?job=no-such-job", null, new byte[0]), 404, "not_found");
        refused(raw("GET", "/api/events?job=bad%20id", null, new byte[0]), 400, "invalid");
    }
}
