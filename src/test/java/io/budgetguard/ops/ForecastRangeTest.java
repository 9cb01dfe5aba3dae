package io.budgetguard.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.budgetguard.testing.BrowserPage;
import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.TestGateway;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A tenant with three weeks of ledger history gets a forecast from it, with a range and the run-out dates at its
 * ends, in tenant info and on the dashboard (a band on the burn chart, the range beside the projection).
 */
class ForecastRangeTest {
    @Test
    void threeWeeksOfHistoryGiveAForecastWithARangeInTheApiAndTheDashboard() throws Exception {
        try (FakeOpenAI upstream = new FakeOpenAI(); TestGateway gw = TestGateway.start(upstream)) {
            gw.admin("POST", "/admin/tenant", "{\"id\":\"steady\",\"name\":\"Steady\",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":1000}]}");
            long today = Math.floorDiv(System.currentTimeMillis(), 86_400_000L);
            try (var c = gw.sql(); PreparedStatement ps = c.prepareStatement("INSERT INTO usage_ledger (request_id, tenant_id, api_key_id,"
                    + " endpoint, model, status, prompt_tokens, cached_tokens, completion_tokens, estimated_cost_usd, cost_usd,"
                    + " upstream_status, started_at, finished_at, latency_ms, provider) VALUES (?, 'steady', 'key_1', '/v1/chat/completions',"
                    + " 'gpt-4o', 'ok', 10, 0, 5, ?, ?, 200, ?, ?, 10, 'openai')")) {
                for (int d = 1; d <= 21; d++) {
                    Instant at = Instant.ofEpochMilli((today - d) * 86_400_000L + 3_600_000L);
                    java.math.BigDecimal usd = java.math.BigDecimal.valueOf(d % 7 < 2 ? 5 : 12 + d % 3);
                    ps.setString(1, "hist-" + d);
                    ps.setBigDecimal(2, usd);
                    ps.setBigDecimal(3, usd);
                    ps.setObject(4, at.atOffset(java.time.ZoneOffset.UTC));
                    ps.setObject(5, at.plusSeconds(1).atOffset(java.time.ZoneOffset.UTC));
                    ps.executeUpdate();
                }
            }
            JsonNode f = TestGateway.json(gw.admin("GET", "/admin/tenant/steady", null).body()).at("/budgets/0/forecast");
            assertEquals("history", f.get("method").asText(), f.toString());
            assertEquals(21, f.get("history_days").asInt());
            double low = f.get("projected_low_usd").asDouble(), mid = f.get("projected_usd").asDouble(),
                    high = f.get("projected_high_usd").asDouble();
            assertTrue(low < mid && mid < high, f.toString());
            try (BrowserPage page = BrowserPage.open()) {
                page.navigate(gw.adminUrl("/dashboard#key=" + TestGateway.ADMIN_KEY));
                page.waitFor("!!document.querySelector('.window[data-tenant=steady]')");
                String text = page.eval("document.querySelector('.window[data-tenant=steady]').textContent");
                assertTrue(text.contains("days of history") && text.contains(" to $"), text);
                assertEquals("true", page.eval("!!document.querySelector('.window[data-tenant=steady] polygon.forecast-range')"),
                        "the range is drawn as a band");
            }
        }
    }
}
