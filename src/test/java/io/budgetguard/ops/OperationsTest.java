package io.budgetguard.ops;

import static io.budgetguard.testing.Envelope.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.budgetguard.http.Route;
import io.budgetguard.testing.Chromium;
import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.TestGateway;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What an operator sees: metrics, readiness, logs, the API document and docs page, the CSV export, the dashboard. */
class OperationsTest {
    static FakeOpenAI upstream;
    static TestGateway gw;
    static String key;
    static final String CHAT = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @BeforeAll
    static void start() throws Exception {
        upstream = new FakeOpenAI();
        gw = TestGateway.start(upstream);
        key = gw.createTenantWithKey("ops");
    }

    @AfterAll
    static void stop() {
        gw.close();
        upstream.close();
    }

    @Test
    void metricsAreScrapedInPrometheusTextFormat() throws Exception {
        for (int i = 0; i < 3; i++) assertEquals(200, gw.postJson("/v1/chat/completions", key, CHAT).statusCode());
        gw.postJson("/v1/chat/completions", "bg_nope", CHAT);
        HttpResponse<String> r = gw.send(gw.request("/metrics").GET());
        // A request is counted as its exchange closes, which can be just after the client has the answer.
        for (int i = 0; i < 100 && !r.body().contains("outcome=\"invalid_api_key\""); i++) {
            Thread.sleep(20);
            r = gw.send(gw.request("/metrics").GET());
        }
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/plain; version=0.0.4"));
        String m = r.body();
        Pattern sample = Pattern.compile("^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{.*\\})? -?[0-9.eE+-]+$");
        for (String line : m.split("\n")) {
            assertTrue(line.startsWith("# HELP ") || line.startsWith("# TYPE ") || sample.matcher(line).matches(), "bad line: " + line);
        }
        assertTrue(value(m, "budgetguard_requests_total{route=\"/v1/chat/completions\",outcome=\"ok\"}") >= 3, m);
        assertTrue(value(m, "budgetguard_requests_total{route=\"/v1/chat/completions\",outcome=\"invalid_api_key\"}") >= 1);
        assertTrue(value(m, "budgetguard_admission_seconds_count") >= 3);
        assertTrue(value(m, "budgetguard_upstream_seconds_count") >= 3);
        assertTrue(value(m, "budgetguard_spend_usd_total") > 0, "one unlabelled total: tenant ids are not listed by default");
        assertTrue(!m.contains("tenant=\"ops\""), "no per-tenant series unless METRICS_PER_TENANT=true");
        assertEquals(0, value(m, "budgetguard_reservations_outstanding"));
        assertTrue(m.contains("budgetguard_ledger_lag_seconds 0"));
    }

    @Test
    void perTenantSpendSeriesAreOptIn() throws Exception {
        try (TestGateway perTenant = TestGateway.start(upstream, Map.of("METRICS_PER_TENANT", "true"), java.time.Clock.systemUTC())) {
            String key = perTenant.createTenantWithKey("listed");
            assertEquals(200, perTenant.postJson("/v1/chat/completions", key,
                    "{\"model\":\"gpt-4o-mini\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").statusCode());
            String m = perTenant.send(perTenant.request("/metrics").GET()).body();
            assertTrue(value(m, "budgetguard_spend_usd_total{tenant=\"listed\"}") > 0, m);
        }
    }

    static double value(String metrics, String series) {
        for (String line : metrics.split("\n")) if (line.startsWith(series + " ")) return Double.parseDouble(line.substring(series.length() + 1));
        throw new AssertionError("no series " + series);
    }

    @Test
    void readinessChecksTheStores() throws Exception {
        HttpResponse<String> ok = gw.send(gw.request("/ready").GET());
        assertEquals(200, ok.statusCode());
        assertEquals("ok", TestGateway.json(ok.body()).at("/checks/database").asText());
        try (TestGateway noRedis = TestGateway.start(upstream, Map.of("REDIS_URL", "redis://127.0.0.1:1", "REDIS_TIMEOUT_MS", "200"),
                Clock.systemUTC())) {
            HttpResponse<String> down = noRedis.send(noRedis.request("/ready").GET());
            assertEquals(503, down.statusCode());
            assertTrue(TestGateway.json(down.body()).at("/checks/counters").asText().startsWith("down"));
            String k = noRedis.createTenantWithKey("failclosed");
            assertError(noRedis.postJson("/v1/chat/completions", k, CHAT), 503, "store_unavailable");
        }
    }

    @Test
    void everyLogLineIsOneJsonObjectWithRequestIdTenantOutcomeAndLatency() throws Exception {
        HttpResponse<String> r = gw.postJson("/v1/chat/completions", key, CHAT);
        String id = r.headers().firstValue("x-request-id").orElseThrow();
        JsonNode mine = null;
        List<String> lines = List.of();
        // The access line is written as the exchange closes, just after the client has its answer (bounded wait).
        for (int attempt = 0; attempt < 100 && mine == null; attempt++) {
            if (attempt > 0) Thread.sleep(20);
            lines = TestGateway.logLines();
            for (String line : lines) {
                JsonNode j = TestGateway.json(line);
                assertTrue(j.has("ts") && j.has("level") && j.has("event"), line);
                if ("request".equals(j.get("event").asText()) && id.equals(j.path("request_id").asText())) mine = j;
            }
        }
        assertTrue(mine != null, "an access log line for " + id);
        assertEquals("ops", mine.get("tenant").asText());
        assertEquals("ok", mine.get("code").asText());
        assertTrue(mine.get("latency_ms").isNumber());
        assertFalse(lines.stream().anyMatch(l -> l.contains("\"hi\"")), "no prompt text in logs");
    }

    @Test
    void theCsvExportSumsMatchTheLedgerExactly() throws Exception {
        String other = gw.createTenantWithKey("ops-csv");
        upstream.usage(1234, 0, 77);
        for (int i = 0; i < 3; i++) gw.postJson("/v1/chat/completions", other, CHAT);
        gw.postJson("/v1/embeddings", other, "{\"model\":\"text-embedding-3-small\",\"input\":\"x\"}");
        upstream.usage(12, 4, 5);
        String today = java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString();
        HttpResponse<String> r = gw.admin("GET", "/admin/usage/export?from=" + today + "&to=" + today, null);
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/csv"));
        String[] lines = r.body().split("\n");
        assertEquals("day,tenant_id,provider,model,requests,prompt_tokens,cached_tokens,completion_tokens,cost_usd", lines[0]);
        BigDecimal sum = BigDecimal.ZERO;
        long requests = 0;
        boolean sawCsvTenant = false;
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split(",");
            requests += Long.parseLong(f[4]);
            sum = sum.add(new BigDecimal(f[8]));
            if (f[1].equals("ops-csv") && f[3].equals("gpt-4o-mini")) {
                sawCsvTenant = true;
                assertEquals("openai", f[2], "one upstream without a providers file: openai");
                assertEquals("3", f[4]);
                assertEquals(Long.toString(3 * 1234), f[5]);
            }
        }
        assertTrue(sawCsvTenant, r.body() + " for " + today);
        try (var c = gw.sql(); var st = c.createStatement(); var rs = st.executeQuery("SELECT COUNT(*), SUM(cost_usd) FROM usage_ledger")) {
            rs.next();
            assertEquals(rs.getLong(1), requests, "every ledger row is in the export");
            assertEquals(0, rs.getBigDecimal(2).compareTo(sum), "costs sum to the ledger's, exactly");
        }
    }

    @Test
    void aModelNameCannotInjectIntoTheCsv() {
        assertEquals("\"a,b\"", io.budgetguard.admin.AdminHandlerAccess.csv("a,b"));
        assertEquals("\"'=cmd()\"", io.budgetguard.admin.AdminHandlerAccess.csv("=cmd()"));
        assertEquals("gpt-4o", io.budgetguard.admin.AdminHandlerAccess.csv("gpt-4o"));
    }

    @Test
    void tenantInfoForecastsEachWindow() throws Exception {
        JsonNode b = TestGateway.json(gw.admin("GET", "/admin/tenant/ops", null).body()).at("/budgets/0");
        JsonNode f = b.get("forecast");
        assertTrue(f.has("burn_usd_per_hour") && f.has("projected_usd") && f.has("runs_out_at") && f.has("projected_over_limit"), b.toString());
        assertTrue(f.get("projected_usd").decimalValue().compareTo(b.get("spent_usd").decimalValue()) >= 0);
    }

    @Test
    void theOpenApiDocumentDescribesEveryRouteAndNothingElse() throws Exception {
        JsonNode doc = TestGateway.json(gw.send(gw.request("/openapi.json").GET()).body());
        assertEquals("3.0.3", doc.get("openapi").asText());
        Set<String> documented = new HashSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = doc.get("paths").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            p.getValue().fieldNames().forEachRemaining(m -> documented.add(m.toUpperCase() + " " + p.getKey()));
        }
        Set<String> served = new HashSet<>();
        for (Route r : gw.routes()) if (!r.pattern().equals("/docs/{file}")) served.add(r.method() + " " + r.pattern());
        assertEquals(served, documented);
        Set<String> codes = new HashSet<>();
        doc.at("/components/schemas/ErrorEnvelope/properties/error/properties/code/enum").forEach(c -> codes.add(c.asText()));
        for (String c : List.of("invalid_request", "invalid_api_key", "budget_exceeded", "policy_denied", "request_too_large",
                "rate_limit_exceeded", "upstream_error", "upstream_timeout", "store_unavailable", "not_found", "unknown_url",
                "method_not_allowed", "conflict", "admin_disabled", "overloaded", "internal_error")) {
            assertTrue(codes.contains(c), "error code " + c + " documented");
        }
    }

    @Test
    void docsRenderTheRoutesInAHeadlessBrowser() throws Exception {
        String dom = Chromium.render(gw.url("/docs"), Path.of("target/artifacts/docs.png"));
        assertTrue(dom.contains("opblock"), "Swagger UI rendered operations");
        assertTrue(dom.contains("/v1/chat/completions") && dom.contains("/admin/tenant/{id}/budgets"), "the routes are on the page");
        assertTrue(java.nio.file.Files.size(Path.of("target/artifacts/docs.png")) > 10_000, "a screenshot was kept");
    }

    @Test
    void theDashboardShowsEachTenantsSpendAgainstItsBudgets() throws Exception {
        gw.postJson("/v1/chat/completions", key, CHAT);
        String dom = Chromium.render(gw.url("/dashboard#key=" + TestGateway.ADMIN_KEY), Path.of("target/artifacts/dashboard.png"));
        assertTrue(dom.contains("data-tenant=\"ops\""), "the tenant is shown");
        assertTrue(dom.contains("<svg") && dom.contains("burn chart"), "with a burn chart");
        assertFalse(dom.contains(TestGateway.ADMIN_KEY), "the admin key is not left in the page");
        assertTrue(java.nio.file.Files.size(Path.of("target/artifacts/dashboard.png")) > 10_000);
    }
}
