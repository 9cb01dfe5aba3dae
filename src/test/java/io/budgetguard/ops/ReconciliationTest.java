package io.budgetguard.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.ProviderCostReports;
import io.budgetguard.testing.ShiftableClock;
import io.budgetguard.testing.TestGateway;
import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The ledger reconciled with OpenAI's Costs API and Anthropic's cost report (stand-ins in their documented shapes):
 * matching days pass, a day OpenAI billed more (a caller bypassing the gateway) and a day the ledger holds more than
 * Anthropic billed (a price out of date) are flagged, in the admin API and /metrics, and alerted once each.
 */
class ReconciliationTest {
    static final LocalDate TODAY = LocalDate.now(ZoneOffset.UTC);
    static final LocalDate D3 = TODAY.minusDays(3), D2 = TODAY.minusDays(2), D1 = TODAY.minusDays(1);

    static Map<String, String> env(ProviderCostReports costs, String openaiKey) {
        Map<String, String> env = new HashMap<>();
        env.put("RECONCILE_OPENAI_ADMIN_KEY", openaiKey);
        env.put("RECONCILE_OPENAI_BASE_URL", costs.baseUrl());
        env.put("RECONCILE_OPENAI_PROJECT", "proj_gateway");
        env.put("RECONCILE_ANTHROPIC_ADMIN_KEY", ProviderCostReports.ANTHROPIC_ADMIN_KEY);
        env.put("RECONCILE_ANTHROPIC_BASE_URL", costs.baseUrl());
        env.put("RECONCILE_PERIOD_MS", "1000");
        env.put("WORKER_PERIOD_MS", "100");
        return env;
    }

    /** Ledger rows as the gateway wrote them on earlier days, in one transaction (a check sees all or none of them). */
    static void seedLedger(TestGateway gw) throws Exception {
        try (var c = gw.sql(); PreparedStatement ps = c.prepareStatement("INSERT INTO usage_ledger (request_id, tenant_id, api_key_id,"
                + " endpoint, model, status, prompt_tokens, cached_tokens, completion_tokens, estimated_cost_usd, cost_usd,"
                + " upstream_status, started_at, finished_at, latency_ms, provider) VALUES (?, 'acme', 'key_1', '/v1/chat/completions',"
                + " ?, 'ok', 10, 0, 5, ?, ?, 200, ?, ?, 10, ?)")) {
            c.setAutoCommit(false);
            for (LocalDate d : List.of(D3, D2, D1)) {
                row(ps, "oa-" + d, d, "openai", "gpt-4o-mini", "3.000000");
                row(ps, "an-" + d, d, "anthropic", "claude-sonnet-4-20250514", "4.500000");
            }
            c.commit();
            c.setAutoCommit(true);
        }
    }

    private static void row(PreparedStatement ps, String id, LocalDate day, String provider, String model, String usd) throws Exception {
        var at = day.atTime(12, 0).atOffset(ZoneOffset.UTC);
        ps.setString(1, id);
        ps.setString(2, model);
        ps.setBigDecimal(3, new BigDecimal(usd));
        ps.setBigDecimal(4, new BigDecimal(usd));
        ps.setObject(5, at);
        ps.setObject(6, at.plusSeconds(1));
        ps.setString(7, provider);
        ps.executeUpdate();
    }

    /** What the providers billed: equal to the ledger but for the two seeded discrepancies. */
    static void seedCosts(ProviderCostReports costs) {
        for (LocalDate d : List.of(D3, D2, D1)) {
            // OpenAI bills the dated snapshot, split into input and output line items.
            costs.openai.add(new ProviderCostReports.Cost(d, "proj_gateway", "gpt-4o-mini-2024-07-18, input", new BigDecimal("1.25")));
            costs.openai.add(new ProviderCostReports.Cost(d, "proj_gateway", "gpt-4o-mini-2024-07-18, output", new BigDecimal("1.75")));
            costs.openai.add(new ProviderCostReports.Cost(d, "proj_other", "gpt-4o, input", new BigDecimal("40"))); // not the gateway's
        }
        costs.openai.add(new ProviderCostReports.Cost(D1, "proj_gateway", "gpt-4o-2024-08-06, input", new BigDecimal("5.00"))); // bypass
        costs.anthropic.add(new ProviderCostReports.Cost(D3, "", "claude-sonnet-4-20250514", new BigDecimal("4.50")));
        costs.anthropic.add(new ProviderCostReports.Cost(D2, "", "claude-sonnet-4-20250514", new BigDecimal("2.50"))); // ledger $2 above
        costs.anthropic.add(new ProviderCostReports.Cost(D1, "", "claude-sonnet-4-20250514", new BigDecimal("4.4999")));
    }

    @Test
    void aDayBilledAboveTheLedgerAndADayBelowItAreFlaggedAndAlertedOnce() throws Exception {
        flaggedAndAlertedOnce(Map.of());
    }

    @Test
    void inProductionTheWorkerReconcilesPostgresLedger() throws Exception {
        try (io.budgetguard.testing.RedisServer redis = io.budgetguard.testing.RedisServer.start()) {
            flaggedAndAlertedOnce(TestGateway.productionStores(redis));
        }
    }

    private void flaggedAndAlertedOnce(Map<String, String> stores) throws Exception {
        try (ProviderCostReports costs = new ProviderCostReports(); FakeOpenAI upstream = new FakeOpenAI();
             BudgetAlertsTest.Receiver hook = new BudgetAlertsTest.Receiver()) {
            Map<String, String> env = env(costs, ProviderCostReports.OPENAI_ADMIN_KEY);
            env.putAll(stores);
            env.put("WORKER_PERIOD_MS", "100");
            env.put("ALERT_WEBHOOK_URL", hook.url());
            seedCosts(costs);
            try (TestGateway gw = TestGateway.start(upstream, env, new ShiftableClock())) {
                seedLedger(gw);
                BudgetAlertsTest.await(() -> hook.bodies.stream().filter(b -> b.contains("reconciliation")).count() == 2,
                        "two reconciliation alerts: " + hook.bodies);
                String openai = hook.bodies.stream().filter(b -> b.contains("*openai*")).findFirst().orElseThrow();
                assertTrue(openai.contains("billed $8.00 on " + D1) && openai.contains("bypassed the gateway"), openai);
                String anthropic = hook.bodies.stream().filter(b -> b.contains("*anthropic*")).findFirst().orElseThrow();
                assertTrue(anthropic.contains("on " + D2) && anthropic.contains("out-of-date price list"), anthropic);

                JsonNode r = TestGateway.json(gw.admin("GET", "/admin/reconciliation?from=" + D3 + "&to=" + D1, null).body());
                assertTrue(r.get("configured").asBoolean());
                assertEquals(2, r.get("flagged").size(), r.toString());
                assertEquals("openai " + D1 + " 5", flag(r.get("flagged"), "openai"));
                assertEquals("anthropic " + D2 + " -2", flag(r.get("flagged"), "anthropic"));
                JsonNode snapshot = row(r.get("rows"), "openai", D3.toString(), "gpt-4o-mini");
                assertEquals("3", usd(snapshot.get("ledger_usd")), "the dated snapshot is the ledger's model: " + snapshot);
                assertEquals("3", usd(snapshot.get("provider_usd")));
                assertEquals("proj_gateway", snapshot.get("project").asText());
                JsonNode bypass = row(r.get("rows"), "openai", D1.toString(), "gpt-4o");
                assertEquals("0", usd(bypass.get("ledger_usd")), "a model the ledger never saw that day");
                assertTrue(r.get("rows").toString().indexOf("proj_other") < 0, "another project's spend is not the gateway's");
                assertTrue(costs.queries.stream().anyMatch(q -> q.contains("page=")), "OpenAI's pages were followed");

                try (io.budgetguard.testing.BrowserPage page = io.budgetguard.testing.BrowserPage.open()) {
                    page.navigate(gw.adminUrl("/dashboard#key=" + TestGateway.ADMIN_KEY));
                    page.waitFor("!!document.querySelector('[data-reconciliation] tr[data-day]')");
                    assertEquals("2", page.eval("String(document.querySelectorAll('[data-reconciliation] tr.flagged').length)"));
                    assertEquals("+$5.00", page.eval("document.querySelector('[data-reconciliation] tr.flagged[data-provider=openai] td:last-child').textContent"));
                    assertEquals("-$2.00", page.eval("document.querySelector('[data-reconciliation] tr.flagged[data-provider=anthropic] td:last-child').textContent"));
                }
                String metrics = gw.send(gw.request("/metrics").GET()).body();
                assertTrue(metrics.contains("budgetguard_reconcile_flagged_days{provider=\"openai\"} 1"), metrics);
                assertTrue(metrics.contains("budgetguard_reconcile_gap_usd{provider=\"anthropic\"} 2.000100"), metrics);
                int before = costs.queries.size();
                BudgetAlertsTest.await(() -> costs.queries.size() >= before + 4, "checked again");
                gw.awaitWorkerPasses("budget_alerts", 3);
                assertEquals(2, hook.bodies.stream().filter(b -> b.contains("reconciliation")).count(), "each day alerted once");
                assertEquals(400, gw.admin("GET", "/admin/reconciliation?from=" + D1 + "&to=" + D3, null).statusCode());
            }
        }
    }

    @Test
    void aReportThatCannotBeReadChangesNothingAndSaysWhy() throws Exception {
        try (ProviderCostReports costs = new ProviderCostReports(); FakeOpenAI upstream = new FakeOpenAI();
             TestGateway gw = TestGateway.start(upstream, env(costs, "sk-admin-wrong-key-00000000"), new ShiftableClock())) {
            seedCosts(costs);
            seedLedger(gw);
            gw.awaitWorkerPasses("reconciliation", 2);
            int before = costs.queries.size();
            BudgetAlertsTest.await(() -> costs.queries.size() > before + 1, "checked after the seed");
            gw.awaitWorkerPasses("reconciliation", 2);
            JsonNode r = TestGateway.json(gw.admin("GET", "/admin/reconciliation?from=" + D3 + "&to=" + D1, null).body());
            assertTrue(r.get("rows").toString().indexOf("\"openai\"") < 0, "nothing stored for a report that was refused: " + r);
            assertTrue(r.get("rows").toString().contains("anthropic"), "the other provider is still checked");
        }
    }

    static String flag(JsonNode flagged, String provider) {
        for (JsonNode f : flagged) {
            if (f.get("provider").asText().equals(provider)) return provider + " " + f.get("day").asText() + " " + usd(f.get("gap_usd"));
        }
        return null;
    }

    static String usd(JsonNode n) {
        return n.decimalValue().stripTrailingZeros().toPlainString();
    }

    static JsonNode row(JsonNode rows, String provider, String day, String model) {
        for (JsonNode r : rows) {
            if (r.get("provider").asText().equals(provider) && r.get("day").asText().equals(day) && r.get("model").asText().equals(model)) return r;
        }
        throw new AssertionError("no row " + provider + " " + day + " " + model + " in " + rows);
    }
}
