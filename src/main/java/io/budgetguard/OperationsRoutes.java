package io.budgetguard;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.budgetguard.budget.SpendCounters;
import io.budgetguard.http.Route;
import io.budgetguard.metrics.Metrics;
import io.budgetguard.policy.PolicyEngine;
import io.budgetguard.store.Database;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The operator's routes: liveness, readiness (each store probed), Prometheus metrics, and the static pages. */
final class OperationsRoutes {
    private OperationsRoutes() {}

    /** Health, readiness, metrics and the static pages. */
    static List<Route> of(ObjectMapper json, Database db, SpendCounters counters, PolicyEngine policy,
                                                Metrics metrics, io.budgetguard.docs.StaticPages pages) {
        List<Route> routes = new ArrayList<>();
        routes.add(new Route("GET", "/health", (call, p) -> call.sendJson(json, 200, health(policy))));
        routes.add(new Route("GET", "/ready", (call, p) -> ready(call, json, db, counters)));
        routes.add(new Route("GET", "/metrics", (call, p) ->
                call.sendText(200, "text/plain; version=0.0.4; charset=utf-8", metrics.render())));
        routes.addAll(pages.routes());
        return routes;
    }

    /** Readiness: 200 when the database and the counters answer, else 503 saying which does not. */
    private static void ready(io.budgetguard.http.HttpCall call, ObjectMapper json, Database db, SpendCounters counters)
            throws IOException {
        Map<String, Object> checks = new java.util.LinkedHashMap<>();
        checks.put("database", probe(db::ping));
        checks.put("counters", probe(counters::ping));
        boolean ok = checks.values().stream().allMatch("ok"::equals);
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("status", ok ? "ready" : "unavailable");
        body.put("checks", checks);
        if (!ok) {
            body.put("error", Map.of("message", "A store is unreachable: " + checks, "type", "server_error",
                    "code", "store_unavailable"));
        }
        call.sendJson(json, ok ? 200 : 503, body);
    }

    private static String probe(Runnable check) {
        try {
            check.run();
            return "ok";
        } catch (RuntimeException e) {
            return "down: " + e.getMessage();
        }
    }

    static Map<String, Object> health(PolicyEngine policy) {
        Map<String, Object> p = new java.util.LinkedHashMap<>();
        p.put("enabled", policy.enabled());
        p.put("revision", policy.revision());
        Map<String, Object> h = new java.util.LinkedHashMap<>();
        h.put("status", "ok");
        h.put("version", Version.get());
        h.put("policy", p);
        return h;
    }
}
