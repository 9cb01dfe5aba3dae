package io.budgetguard.docs;

import io.budgetguard.http.ApiException;
import io.budgetguard.http.Route;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;

/**
 * Pages served from the jar: the OpenAPI document, Swagger UI (from the swagger-ui webjar) at /docs, and the
 * dashboard. Only the named files can be served; each is read once at start.
 */
public final class StaticPages {
    static final String SWAGGER_UI = "META-INF/resources/webjars/swagger-ui/5.20.1/";

    private record Page(byte[] body, String contentType) {}

    private final Map<String, Page> docsAssets;
    private final Page openapi;
    private final Page docs;
    private final Page dashboard;

    public StaticPages() {
        openapi = page("static/openapi.json", "application/json");
        docs = page("static/docs.html", "text/html; charset=utf-8");
        dashboard = page("static/dashboard.html", "text/html; charset=utf-8");
        docsAssets = Map.of(
                "swagger-ui.css", page(SWAGGER_UI + "swagger-ui.css", "text/css"),
                "swagger-ui-bundle.js", page(SWAGGER_UI + "swagger-ui-bundle.js", "text/javascript"));
    }

    /** The API documentation: OpenAPI document and Swagger UI. */
    public List<Route> routes() {
        return List.of(
                new Route("GET", "/openapi.json", (call, p) -> send(call, openapi)),
                new Route("GET", "/docs", (call, p) -> send(call, docs)),
                new Route("GET", "/docs/{file}", (call, p) -> {
                    Page asset = docsAssets.get(p.get("file"));
                    if (asset == null) throw ApiException.unknownUrl(call.method(), call.path());
                    send(call, asset);
                }));
    }

    /** The dashboard page (it calls the admin API, so it is served where the admin API is). */
    public List<Route> dashboardRoutes() {
        return List.of(new Route("GET", "/dashboard", (call, p) -> send(call, dashboard)));
    }

    private static void send(io.budgetguard.http.HttpCall call, Page page) throws IOException {
        call.responseHeaders().set("Content-Type", page.contentType());
        call.responseHeaders().set("Cache-Control", "no-cache");
        call.responseHeaders().set("X-Content-Type-Options", "nosniff");
        try (OutputStream out = call.startResponse(200, page.body().length)) {
            out.write(page.body());
        }
    }

    private static Page page(String resource, String contentType) {
        try (InputStream in = StaticPages.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing resource " + resource);
            return new Page(in.readAllBytes(), contentType);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + resource, e);
        }
    }
}
