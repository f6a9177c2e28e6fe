package io.tally.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A tiny JSON client over java.net.http for the tests. */
final class Http {
    final HttpClient client =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final String base;
    String token;

    Http(String base) {
        this.base = base;
    }

    /** A response: status, raw body, parsed JSON (null if not JSON), and the response itself. */
    record Res(int status, String body, JsonNode json, HttpResponse<String> raw) {
        String errorCode() {
            return json == null ? null : json.path("error").path("code").asText(null);
        }
    }

    Res get(String path) {
        return send("GET", path, null);
    }

    Res post(String path, String body) {
        return send("POST", path, body);
    }

    Res delete(String path) {
        return send("DELETE", path, null);
    }

    Res send(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(
                method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = null;
            if (r.headers().firstValue("Content-Type").orElse("").startsWith("application/json")) {
                json = JobJson.MAPPER.readTree(r.body());
            }
            return new Res(r.statusCode(), r.body(), json, r);
        } catch (Exception e) {
            throw new AssertionError(method + " " + path + " failed: " + e, e);
        }
    }
}
