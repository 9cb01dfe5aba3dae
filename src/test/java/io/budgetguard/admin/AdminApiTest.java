package io.budgetguard.admin;

import static io.budgetguard.testing.Envelope.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.TestGateway;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AdminApiTest {
    static FakeOpenAI upstream;
    static TestGateway gw;

    @BeforeAll
    static void start() throws Exception {
        upstream = new FakeOpenAI();
        gw = TestGateway.start(upstream, Map.of("BUDGET_PERIODS", "monthly:100,daily:5"),
                Clock.fixed(Instant.parse("2026-11-26T10:00:00Z"), ZoneOffset.UTC));
    }

    @AfterAll
    static void stop() {
        gw.close();
        upstream.close();
    }

    @Test
    void creatingATenantAnswers201WithTheDefaultBudgetsAndTheirWindows() throws Exception {
        HttpResponse<String> r = gw.admin("POST", "/admin/tenant", "{\"id\":\"t-defaults\",\"name\":\"Defaults Inc\"}");
        assertEquals(201, r.statusCode(), r.body());
        JsonNode t = TestGateway.json(r.body());
        assertEquals("Defaults Inc", t.get("name").asText());
        assertEquals(100, t.get("rate_limit_per_min").asInt());
        JsonNode monthly = t.get("budgets").get(0);
        assertEquals("monthly", monthly.get("period").asText());
        assertEquals(0, monthly.get("limit_usd").decimalValue().compareTo(new java.math.BigDecimal("100")));
        assertEquals("2026-11-01T00:00:00Z", monthly.get("window_start").asText());
        assertEquals("2026-12-01T00:00:00Z", monthly.get("window_end").asText());
        JsonNode daily = t.get("budgets").get(1);
        assertEquals("daily", daily.get("period").asText());
        assertEquals(0, daily.get("remaining_usd").decimalValue().compareTo(new java.math.BigDecimal("5")));
    }

    @Test
    void creatingATenantTwiceIs409() throws Exception {
        assertEquals(201, gw.admin("POST", "/admin/tenant", "{\"id\":\"twice\"}").statusCode());
        assertError(gw.admin("POST", "/admin/tenant", "{\"id\":\"twice\"}"), 409, "conflict");
    }

    @Test
    void tenantIdsAreValidated() throws Exception {
        for (String bad : new String[] {"\"Upper\"", "\"-lead\"", "\"" + "a".repeat(65) + "\"", "\"sp ace\"", "42", "null"}) {
            JsonNode err = assertError(gw.admin("POST", "/admin/tenant", "{\"id\":" + bad + "}"), 400, "invalid_request");
            assertEquals("id", err.get("param").asText());
        }
        assertEquals(201, gw.admin("POST", "/admin/tenant", "{\"id\":\"" + "a".repeat(64) + "\"}").statusCode());
    }

    @Test
    void badBudgetsAreRefusedNamingTheFieldAndNothingIsCreated() throws Exception {
        String[] bad = {
            "[{\"period\":\"monthly\",\"limit_usd\":-1}]",
            "[{\"period\":\"monthly\",\"limit_usd\":0.0000001}]",
            "[{\"period\":\"yearly\",\"limit_usd\":1}]",
            "[{\"period\":\"monthly\",\"limit_usd\":1},{\"period\":\"monthly\",\"limit_usd\":2}]",
            "[{\"period\":\"monthly\",\"limit_usd\":\"5\"}]",
            "[{\"period\":\"monthly\",\"limit_usd\":1e30}]",
            "{\"period\":\"monthly\"}",
        };
        for (String b : bad) {
            assertError(gw.admin("POST", "/admin/tenant", "{\"id\":\"badbudget\",\"budgets\":" + b + "}"), 400, "invalid_request");
        }
        assertError(gw.admin("GET", "/admin/tenant/badbudget", null), 404, "not_found");
    }

    @Test
    void rateLimitsOutOfRangeAreRefused() throws Exception {
        for (String v : new String[] {"0", "-5", "1000001", "1.5", "\"10\"", "99999999999999999999"}) {
            assertError(gw.admin("POST", "/admin/tenant", "{\"id\":\"rl\",\"rate_limit_per_min\":" + v + "}"), 400, "invalid_request");
        }
        assertEquals(201, gw.admin("POST", "/admin/tenant", "{\"id\":\"rl\",\"rate_limit_per_min\":1000000}").statusCode());
    }

    @Test
    void unknownFieldsAreRefused() throws Exception {
        JsonNode err = assertError(gw.admin("POST", "/admin/tenant", "{\"id\":\"typo\",\"budget\":[]}"), 400, "invalid_request");
        assertEquals("budget", err.get("param").asText());
    }

    @Test
    void budgetsAreReplacedWhole() throws Exception {
        gw.admin("POST", "/admin/tenant", "{\"id\":\"replace-me\"}");
        HttpResponse<String> r = gw.admin("POST", "/admin/tenant/replace-me/budgets",
                "{\"budgets\":[{\"period\":\"weekly\",\"limit_usd\":12.5},{\"period\":\"rolling:24h\",\"limit_usd\":3}]}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode budgets = TestGateway.json(r.body()).get("budgets");
        assertEquals(2, budgets.size());
        JsonNode rolling = budgets.get(0);
        assertEquals("rolling:1d", rolling.get("period").asText());
        assertEquals("2026-11-25T10:00:00Z", rolling.get("window_start").asText());
        JsonNode weekly = budgets.get(1);
        assertEquals("12.5", weekly.get("limit_usd").asText());
        assertEquals("2026-11-23T00:00:00Z", weekly.get("window_start").asText(), "ISO week starts on Monday");
        assertError(gw.admin("POST", "/admin/tenant/nobody/budgets", "{\"budgets\":[]}"), 404, "not_found");
    }

    @Test
    void aNewKeyIsShownOnceAndStoredOnlyAsAHash() throws Exception {
        gw.admin("POST", "/admin/tenant", "{\"id\":\"keyed\"}");
        HttpResponse<String> r = gw.admin("POST", "/admin/tenant/keyed/apikeys", null);
        assertEquals(201, r.statusCode(), r.body());
        JsonNode k = TestGateway.json(r.body());
        String key = k.get("key").asText();
        assertTrue(key.startsWith(k.get("prefix").asText()));
        String info = gw.admin("GET", "/admin/tenant/keyed", null).body();
        assertFalse(info.contains(key), "tenant info shows the prefix only");
        assertTrue(info.contains(k.get("prefix").asText()));
        assertEquals(0, gw.sqlLong("SELECT COUNT(*) FROM api_keys WHERE key_hash = '" + key + "' OR prefix = '" + key + "'"));
        assertEquals(1, gw.sqlLong("SELECT COUNT(*) FROM api_keys WHERE tenant_id = 'keyed' AND LENGTH(key_hash) = 64"));
    }

    @Test
    void revokingAnUnknownKeyIs404() throws Exception {
        gw.admin("POST", "/admin/tenant", "{\"id\":\"revoker\"}");
        assertError(gw.admin("DELETE", "/admin/tenant/revoker/apikeys/key_nope", null), 404, "not_found");
    }

    @Test
    void aKeyOfAnotherTenantCannotBeRevokedThroughThisTenant() throws Exception {
        gw.admin("POST", "/admin/tenant", "{\"id\":\"owner\"}");
        gw.admin("POST", "/admin/tenant", "{\"id\":\"intruder\"}");
        String keyId = TestGateway.json(gw.admin("POST", "/admin/tenant/owner/apikeys", null).body()).get("id").asText();
        assertError(gw.admin("DELETE", "/admin/tenant/intruder/apikeys/" + keyId, null), 404, "not_found");
    }

    @Test
    void aWrongOrMissingAdminKeyIs401() throws Exception {
        HttpResponse<String> wrong = gw.send(gw.request("/admin/tenant/x").header("X-Admin-Key", "nope").GET());
        assertError(wrong, 401, "invalid_api_key");
        assertError(gw.send(gw.request("/admin/tenant/x").GET()), 401, "invalid_api_key");
        HttpResponse<String> create = gw.send(gw.request("/admin/tenant").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"sneaky\"}")));
        assertError(create, 401, "invalid_api_key");
        assertError(gw.admin("GET", "/admin/tenant/sneaky", null), 404, "not_found");
    }

    @Test
    void malformedAdminJsonIs400() throws Exception {
        assertError(gw.admin("POST", "/admin/tenant", "{\"id\":"), 400, "invalid_request");
        assertError(gw.admin("POST", "/admin/tenant", "\"just a string\""), 400, "invalid_request");
    }

    @Test
    void theUsageReportSumsTheLedgerByModelAndByDay() throws Exception {
        String key = gw.createTenantWithKey("reported");
        upstream.usage(1000, 0, 100);
        for (int i = 0; i < 3; i++) {
            assertEquals(200, gw.postJson("/v1/chat/completions", key, "{\"model\":\"gpt-4o-mini\",\"messages\":[]}").statusCode());
        }
        assertEquals(200, gw.postJson("/v1/embeddings", key, "{\"model\":\"text-embedding-3-small\",\"input\":\"x\"}").statusCode());
        upstream.failNext(500, "server_error", "boom");
        gw.postJson("/v1/chat/completions", key, "{\"model\":\"gpt-4o-mini\",\"messages\":[]}");

        JsonNode byModel = TestGateway.json(gw.admin("GET", "/admin/tenant/reported/usage?group_by=model", null).body());
        assertEquals("2026-11-01", byModel.get("from").asText());
        assertEquals("2026-11-26", byModel.get("to").asText());
        JsonNode chat = byModel.get("rows").get(0);
        assertEquals("gpt-4o-mini", chat.get("key").asText());
        assertEquals(4, chat.get("requests").asInt(), "rows of every status count");
        assertEquals(3000, chat.get("prompt_tokens").asInt());
        // 3 × (1000 × $0.15/M + 100 × $0.60/M) = 3 × $0.00021
        assertEquals("0.00063", chat.get("cost_usd").asText());
        assertEquals(5, byModel.at("/total/requests").asInt());
        assertEquals("0.00065", byModel.at("/total/cost_usd").asText(), "plus 1000 embedding tokens × $0.02/M");

        JsonNode byDay = TestGateway.json(gw.admin("GET", "/admin/tenant/reported/usage?group_by=day&from=2026-11-26&to=2026-11-26", null).body());
        assertEquals(1, byDay.get("rows").size());
        assertEquals("2026-11-26", byDay.at("/rows/0/key").asText());
        assertEquals(5, byDay.at("/rows/0/requests").asInt());
        JsonNode before = TestGateway.json(gw.admin("GET", "/admin/tenant/reported/usage?from=2026-10-01&to=2026-10-31", null).body());
        assertEquals(0, before.at("/total/requests").asInt());

        JsonNode info = TestGateway.json(gw.admin("GET", "/admin/tenant/reported", null).body());
        assertEquals("0.00065", info.at("/budgets/0/spent_usd").asText(), "tenant info reads spend from the ledger");
    }

    @Test
    void usageQueryParametersAreValidated() throws Exception {
        gw.admin("POST", "/admin/tenant", "{\"id\":\"queried\"}");
        for (String q : new String[] {"group_by=week", "from=2026-13-01", "from=yesterday", "from=2026-11-10&to=2026-11-01"}) {
            assertError(gw.admin("GET", "/admin/tenant/queried/usage?" + q, null), 400, "invalid_request");
        }
        assertError(gw.admin("GET", "/admin/tenant/ghost/usage", null), 404, "not_found");
    }

    @Test
    void theAdminApiIsDisabledWithoutAnAdminKey() throws Exception {
        try (TestGateway noAdmin = TestGateway.start(upstream, Map.of("ADMIN_API_KEY", ""), Clock.systemUTC())) {
            HttpResponse<String> r = noAdmin.send(noAdmin.request("/admin/tenant/x").header("X-Admin-Key", "").GET());
            assertError(r, 403, "admin_disabled");
        }
    }
}
