package io.budgetguard.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.budgetguard.testing.BrowserPage;
import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.TestGateway;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The dashboard answers "who spent what, on which model, and what did we block", in a real browser, against a gateway
 * with traffic from several tenants: some spending, one over its budget (402s), one past its rate limit (429s).
 * Screenshots land in target/artifacts/.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class DashboardContract {
    FakeOpenAI upstream;
    TestGateway gw;

    /** Names the screenshots. */
    abstract String variant();

    /** The stores this variant runs on. */
    abstract java.util.Map<String, String> env() throws Exception;
    static final String CHAT = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @BeforeAll
    void traffic() throws Exception {
        upstream = new FakeOpenAI();
        gw = TestGateway.start(upstream, env(), java.time.Clock.systemUTC());
        create("{\"id\":\"search\",\"name\":\"Search\",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":100}]}");
        create("{\"id\":\"support\",\"name\":\"Support\",\"budgets\":[{\"period\":\"daily\",\"limit_usd\":1}]}");
        create("{\"id\":\"labs\",\"name\":\"Labs\",\"rate_limit_per_min\":2}");
        String search = gw.newKey("search"), support = gw.newKey("support"), labs = gw.newKey("labs");
        for (int i = 0; i < 4; i++) assertEquals(200, chat(search, i % 2 == 0 ? "alice" : "bob", "team=web").statusCode());
        assertEquals(200, chat(gw.newKey("search"), "carol", "team=mobile").statusCode());
        // One call, then the budget is cut below what it spent: the window is over its limit, the rest are 402.
        assertEquals(200, chat(support, "dave", "team=help").statusCode());
        assertEquals(200, gw.admin("POST", "/admin/tenant/support/budgets",
                "{\"budgets\":[{\"period\":\"daily\",\"limit_usd\":0.000001}]}").statusCode());
        for (int i = 0; i < 4; i++) assertEquals(402, chat(support, "dave", "team=help").statusCode());
        int refusedRate = 0;
        for (int i = 0; i < 5; i++) if (chat(labs, "erin", "team=research").statusCode() == 429) refusedRate++;
        assertEquals(3, refusedRate, "two requests a minute, then 429");
        gw.gateway().flushRefusals();
        // Production's ledger rows arrive through the worker's drain: wait until all eight are in.
        for (int i = 0; i < 600 && TestGateway.json(gw.admin("GET", "/admin/usage", null).body()).get("total").get("requests").asLong() < 8; i++) {
            Thread.sleep(50);
        }
    }

    void create(String tenant) throws Exception {
        assertEquals(201, gw.admin("POST", "/admin/tenant", tenant).statusCode());
    }

    HttpResponse<String> chat(String key, String user, String tags) throws Exception {
        return gw.send(gw.request("/v1/chat/completions").header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + key).header("X-BudgetGuard-User", user).header("X-BudgetGuard-Tags", tags)
                .POST(HttpRequest.BodyPublishers.ofString(CHAT)));
    }

    @AfterAll
    void stop() {
        gw.close();
        upstream.close();
    }

    @Test
    void theAdminApiSumsSpendAcrossTenantsAndCountsWhatWasRefused() throws Exception {
        JsonNode byTenant = TestGateway.json(gw.admin("GET", "/admin/usage?group_by=tenant", null).body());
        assertEquals("search", byTenant.get("rows").get(0).get("key").asText(), "the biggest spender first");
        assertEquals(5, byTenant.get("rows").get(0).get("requests").asLong());
        JsonNode byUser = TestGateway.json(gw.admin("GET", "/admin/usage?group_by=user&tenant=search&limit=1", null).body());
        assertEquals(2, byUser.get("rows").size(), "one row, the rest as (others)");
        assertEquals("(others)", byUser.get("rows").get(1).get("key").asText());
        JsonNode byTag = TestGateway.json(gw.admin("GET", "/admin/usage?group_by=tag:team&tenant=search", null).body());
        assertEquals("web", byTag.get("rows").get(0).get("key").asText());

        JsonNode refused = TestGateway.json(gw.admin("GET", "/admin/refusals", null).body());
        long budget = 0, rate = 0;
        for (JsonNode r : refused.get("by_reason")) {
            if (r.get("reason").asText().equals("402 over_budget")) budget = r.get("requests").asLong();
            if (r.get("reason").asText().equals("429 requests_per_min")) rate = r.get("requests").asLong();
        }
        assertEquals(4, budget, refused.toString());
        assertEquals(3, rate, refused.toString());
        assertTrue(refused.get("total").get("prevented_usd").decimalValue().signum() > 0, "the refused requests' worst case is counted");

        JsonNode rows = TestGateway.json(gw.admin("GET", "/admin/ledger?tenant=search&user=carol", null).body()).get("rows");
        assertEquals(1, rows.size());
        assertEquals("team=mobile", rows.get(0).get("tags").asText());
        assertEquals(400, gw.admin("GET", "/admin/ledger?limit=1001", null).statusCode(), "limit+1 is refused");
        assertEquals(200, gw.admin("GET", "/admin/ledger?limit=1000", null).statusCode(), "the limit itself is not");
        assertEquals(400, gw.admin("GET", "/admin/ledger?status=deleted", null).statusCode());

        JsonNode chains = TestGateway.json(gw.admin("GET", "/admin/ledger/verify", null).body());
        assertTrue(chains.get("intact").asBoolean(), "every tenant's ledger rows chain: " + chains);
        long ledgerRows = gw.sqlLong("SELECT COUNT(*) FROM usage_ledger");
        long chained = 0;
        for (JsonNode t : chains.get("tenants")) chained += t.get("chained_rows").asLong();
        assertEquals(ledgerRows, chained, "each row in its tenant's chain");
    }

    @Test
    void theDashboardShowsSpendTopSpendersRefusalsAndTheLedgerAndManagesTenants() throws Exception {
        try (BrowserPage page = BrowserPage.open()) {
            page.navigate(gw.adminUrl("/dashboard#key=" + TestGateway.ADMIN_KEY));
            page.waitFor("document.querySelector('#status').textContent.includes('tenant(s)')");
            page.screenshot(Path.of("target/artifacts/" + variant() + "-dashboard-overview.png"));
            assertTrue(Files.size(Path.of("target/artifacts/" + variant() + "-dashboard-overview.png")) > 20_000);
            assertEquals("true", page.eval("!!document.querySelector('svg[aria-label=\"spend over time\"] .y-tick')"),
                    "the spend chart has a dollar axis");
            for (String dim : new String[] {"tenant", "key", "user", "model", "provider", "tag:team"}) {
                assertEquals("true", page.eval("!!document.querySelector('[data-top=\"" + dim + "\"] td.num')"), "top " + dim);
            }
            assertTrue(page.eval("document.querySelector('[data-top=\"tenant\"] td').textContent").equals("search"),
                    "the biggest spender heads the list");
            assertTrue(page.eval("document.querySelector('[data-top=\"key\"] td').textContent").startsWith("search / test"),
                    "keys by tenant and name, the id beneath");
            assertTrue(page.eval("document.querySelector('[data-refusals=reason]').textContent").contains("402 over_budget"));
            assertTrue(page.eval("document.querySelector('[data-refusals=reason]').textContent").contains("429 requests_per_min"));
            assertEquals("over-limit", page.eval("document.querySelector('.window[data-tenant=support]').dataset.state"),
                    "the tenant at its limit is highlighted");
            assertEquals("support", page.eval("document.querySelector('.window').dataset.tenant"), "and listed first");
            assertEquals("8", page.eval("String(document.querySelectorAll('[data-ledger] tr[data-row]').length)"),
                    "every ledger row of the range (5 search, 1 support, 2 labs)");
            assertFalse(page.eval("document.documentElement.outerHTML").contains(TestGateway.ADMIN_KEY), "the admin key is not left in the page");

            page.eval("(() => { document.querySelector('#ledgerModel').value = 'gpt-4o-mini'; document.querySelector('#ledgerUser').value = 'carol';"
                    + " document.querySelector('#ledgerFilter button').click(); return 1; })()");
            page.waitFor("document.querySelectorAll('[data-ledger] tr[data-row]').length === 1");

            page.eval("(() => { document.querySelector('#newTenantId').value = 'newco'; document.querySelector('#newTenantBudget').value = '5';"
                    + " document.querySelector('#createTenant button').click(); return 1; })()");
            page.waitFor("document.querySelector('#createdTenant') && document.querySelector('.window[data-tenant=newco]')");
            page.eval("(() => { document.querySelector('#keyTenant').value = 'newco'; document.querySelector('#createKey button').click(); return 1; })()");
            page.waitFor("document.querySelector('#newKey')");
            String key = page.eval("document.querySelector('#newKey').textContent");
            gw.addSecret(key);
            page.screenshot(Path.of("target/artifacts/" + variant() + "-dashboard-key-created.png"));
            assertEquals(200, gw.postJson("/v1/chat/completions", key, CHAT).statusCode(), "the key made on the page works");
            page.eval("(() => { document.querySelector('#budgetTenant').value = 'newco'; document.querySelector('#budgetPeriod').value = 'daily';"
                    + " document.querySelector('#budgetLimit').value = '0.5'; document.querySelector('#setBudget button').click(); return 1; })()");
            page.waitFor("document.querySelector('#manageResult').textContent.includes('budgets of newco set')");
            JsonNode newco = TestGateway.json(gw.admin("GET", "/admin/tenant/newco", null).body());
            assertEquals(2, newco.get("budgets").size(), "the monthly budget kept, the daily one added");
            page.screenshot(Path.of("target/artifacts/" + variant() + "-dashboard-managed.png"));
        }
    }
}
