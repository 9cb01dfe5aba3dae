package io.budgetguard.budget;

import static io.budgetguard.testing.Envelope.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.budgetguard.Gateway;
import io.budgetguard.pricing.Estimator;
import io.budgetguard.pricing.PriceTable;
import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.TestGateway;
import java.math.BigDecimal;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Budgets and rate limits through the real HTTP gateway; run on each counter store. */
abstract class BudgetEnforcementContract {
    static final String BODY = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":100,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Summarise the quarterly report in three bullet points.\"}]}";

    FakeOpenAI upstream;
    TestGateway gw;

    abstract Map<String, String> env();

    @BeforeEach
    void start() throws Exception {
        upstream = new FakeOpenAI();
        gw = TestGateway.start(upstream, env(), Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        gw.close();
        upstream.close();
    }

    static long estimateMicroUsd() throws Exception {
        PriceTable prices = PriceTable.load(Gateway.objectMapper(), null);
        return new Estimator(Gateway.objectMapper()).estimate(Estimator.Kind.CHAT, TestGateway.json(BODY),
                prices.lookup("gpt-4o-mini").orElseThrow()).costMicroUsd();
    }

    String tenantWithBudget(String id, long limitMicroUsd, int ratePerMin) throws Exception {
        String usd = BigDecimal.valueOf(limitMicroUsd, 6).toPlainString();
        HttpResponse<String> r = gw.admin("POST", "/admin/tenant", "{\"id\":\"" + id + "\",\"rate_limit_per_min\":" + ratePerMin
                + ",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":" + usd + "}]}");
        assertEquals(201, r.statusCode(), r.body());
        return gw.newKey(id);
    }

    JsonNode monthly(String tenant) throws Exception {
        return TestGateway.json(gw.admin("GET", "/admin/tenant/" + tenant, null).body()).at("/budgets/0");
    }

    static long micros(JsonNode usd) {
        return usd.decimalValue().movePointRight(6).longValueExact();
    }

    @Test
    void aTenantAtItsCapGets402NamingTheWindowLimitAndRemaining() throws Exception {
        long est = estimateMicroUsd();
        String key = tenantWithBudget("capped", est + est / 2, 100);
        upstream.completionAtMaxTokens();
        assertEquals(200, gw.postJson("/v1/chat/completions", key, BODY).statusCode());
        int callsBefore = upstream.calls();
        long spentBefore = micros(monthly("capped").get("spent_usd"));
        HttpResponse<String> r = gw.postJson("/v1/chat/completions", key, BODY);
        JsonNode err = assertError(r, 402, "budget_exceeded");
        String msg = err.get("message").asText();
        assertTrue(msg.contains("monthly") && msg.contains("limit of $") && msg.contains("remaining"), msg);
        assertEquals(callsBefore, upstream.calls(), "a refused request never reaches the upstream");
        assertEquals(spentBefore, micros(monthly("capped").get("spent_usd")), "and changes no spend");
        assertTrue(r.headers().firstValue("x-ratelimit-limit-requests").isPresent());
    }

    @Test
    void theRateLimitAnswers429WithRetryAfterAndEveryResponseCarriesRateHeaders() throws Exception {
        String key = tenantWithBudget("chatty", 10_000_000, 3);
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> ok = gw.postJson("/v1/chat/completions", key, BODY);
            assertEquals(200, ok.statusCode());
            assertEquals("3", ok.headers().firstValue("x-ratelimit-limit-requests").orElse(null));
            assertEquals(Integer.toString(2 - i), ok.headers().firstValue("x-ratelimit-remaining-requests").orElse(null));
            assertTrue(ok.headers().firstValue("x-ratelimit-reset-requests").orElse("").endsWith("s"));
        }
        HttpResponse<String> limited = gw.postJson("/v1/chat/completions", key, BODY);
        assertError(limited, 429, "rate_limit_exceeded");
        long retry = Long.parseLong(limited.headers().firstValue("retry-after").orElseThrow());
        assertTrue(retry >= 1 && retry <= 61, "Retry-After " + retry);
        assertEquals("0", limited.headers().firstValue("x-ratelimit-remaining-requests").orElse(null));
        assertEquals(3, upstream.calls());
    }

    @Test
    void twoHundredConcurrentRequestsNeverSpendAMicroDollarOverTheCap() throws Exception {
        long est = estimateMicroUsd();
        long limit = 15 * est + est / 2;
        String key = tenantWithBudget("racer", limit, 100_000);
        upstream.completionAtMaxTokens();
        List<HttpResponse<String>> all = race(List.of(gw.url("")), key, 200);
        assertRaceOutcome(all, limit, "racer");
    }

    /** Fires n requests at once, spread over the gateways' base URLs. */
    List<HttpResponse<String>> race(List<String> baseUrls, String key, int n) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<CompletableFuture<HttpResponse<String>>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String base = baseUrls.get(i % baseUrls.size());
            fs.add(client.sendAsync(HttpRequest.newBuilder(java.net.URI.create(base + "/v1/chat/completions"))
                    .timeout(java.time.Duration.ofSeconds(60)).header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofString(BODY)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        List<HttpResponse<String>> out = new ArrayList<>();
        for (var f : fs) out.add(f.get());
        return out;
    }

    /** In Redis mode the worker drains ledger events from Redis Streams: wait (bounded) until it has. */
    void awaitLedgerRows(String tenant, long rows) throws Exception {
        for (int i = 0; i < 200; i++) {
            if (gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE tenant_id = '" + tenant + "'") >= rows) return;
            Thread.sleep(100);
        }
    }

    void assertRaceOutcome(List<HttpResponse<String>> all, long limit, String tenant) throws Exception {
        long ok = all.stream().filter(r -> r.statusCode() == 200).count();
        long refused = all.stream().filter(r -> r.statusCode() == 402).count();
        assertEquals(all.size(), ok + refused, "every request is either served or refused with 402");
        assertTrue(ok >= 15, "requests that fit are admitted: " + ok);
        assertEquals(ok, upstream.calls(), "the upstream saw exactly the admitted requests");
        JsonNode w = monthly(tenant);
        long spent = micros(w.get("spent_usd"));
        assertTrue(spent <= limit, "spent " + spent + " > limit " + limit);
        assertEquals(0, micros(w.get("reserved_usd")), "every reservation settled");
        awaitLedgerRows(tenant, ok);
        assertEquals(ok, gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE tenant_id = '" + tenant + "'"));
        assertEquals(spent, gw.sqlLong("SELECT CAST(SUM(cost_usd) * 1000000 AS BIGINT) FROM usage_ledger WHERE tenant_id = '" + tenant + "'"),
                "counters equal the ledger");
    }
}
