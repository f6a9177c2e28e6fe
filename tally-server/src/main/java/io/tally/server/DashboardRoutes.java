package io.tally.server;

import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** The dashboard's files from the jar ({@code /}, {@code /app.js}, …) and {@code GET /api/openapi.json}. */
final class DashboardRoutes implements RouteGroup {
    private static final String DASHBOARD = "/io/tally/server/dashboard/";

    @Override
    public void register(Javalin app) {
        app.get("/", ctx -> staticFile(ctx, "index.html", "text/html; charset=utf-8"));
        app.get("/app.js", ctx -> staticFile(ctx, "app.js", "text/javascript; charset=utf-8"));
        app.get("/style.css", ctx -> staticFile(ctx, "style.css", "text/css; charset=utf-8"));
        app.get("/favicon.svg", ctx -> staticFile(ctx, "favicon.svg", "image/svg+xml"));
        app.get("/api/openapi.json", ctx -> {
            Input.onlyParams(ctx);
            ctx.contentType(JsonResponses.JSON).result(resource("/io/tally/server/openapi.json"));
        });
    }

    private static void staticFile(Context ctx, String name, String type) {
        // no-cache, not no-store: a browser may keep the file but asks whether it changed (a new server version).
        ctx.header("Cache-Control", "no-cache");
        ctx.contentType(type).result(resource(DASHBOARD + name));
    }

    private static byte[] resource(String path) {
        try (InputStream in = DashboardRoutes.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new ApiException(404, "not_found", "no such file: " + path);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
