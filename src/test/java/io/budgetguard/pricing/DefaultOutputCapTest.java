package io.budgetguard.pricing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.TestGateway;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A default output cap (the tenant's, else DEFAULT_MAX_OUTPUT_TOKENS) is the one way the gateway changes a request:
 * when the client sets no output limit, the cap is set on the upstream request in the model's own parameter and the
 * reservation is exactly that, instead of the model's whole output cap (128k tokens, $1.28, on gpt-5).
 */
class DefaultOutputCapTest {
    static final String HI = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
    FakeOpenAI upstream;
    TestGateway gw;

    @AfterEach
    void stop() {
        gw.close();
        upstream.close();
    }

    void start(Map<String, String> env) throws Exception {
        upstream = new FakeOpenAI();
        gw = TestGateway.start(upstream, env, Clock.systemUTC());
    }

    @Test
    void aTenantCapIsSetOnTheUpstreamRequestAndIsExactlyWhatIsReserved() throws Exception {
        start(Map.of());
        String key = gw.createTenantWithKey("capped");
        HttpResponse<String> set = gw.admin("POST", "/admin/tenant/capped/limits", "{\"default_max_output_tokens\":1000}");
        assertEquals(200, set.statusCode(), set.body());
        assertEquals(1000, TestGateway.json(set.body()).get("default_max_output_tokens").asLong(), "tenant info shows it");

        HttpResponse<String> r = gw.postJson("/v1/chat/completions", key, "{\"model\":\"gpt-5\"," + HI + "}");
        assertEquals(200, r.statusCode());
        JsonNode sent = TestGateway.json(lastBody());
        assertEquals(1000, sent.get("max_completion_tokens").asLong(), "reasoning-era chat takes max_completion_tokens");
        assertFalse(sent.has("max_tokens"));
        BigDecimal capped = estimateOf(r);

        HttpResponse<String> explicit = gw.postJson("/v1/chat/completions", key,
                "{\"model\":\"gpt-5\",\"max_completion_tokens\":1000," + HI + "}");
        assertEquals(200, explicit.statusCode());
        assertEquals(0, capped.compareTo(estimateOf(explicit)), "the cap reserves what an explicit limit of the same size reserves");
        assertTrue(capped.compareTo(new BigDecimal("0.011")) < 0, "1,000 output tokens at $10/1M, not 128,000: " + capped);

        assertEquals(200, gw.postJson("/v1/responses", key, "{\"model\":\"gpt-5\",\"input\":\"hi\"}").statusCode());
        assertEquals(1000, TestGateway.json(lastBody()).get("max_output_tokens").asLong(), "the Responses API's own parameter");
    }

    @Test
    void aClientsOwnLimitIsNeverChanged() throws Exception {
        start(Map.of("DEFAULT_MAX_OUTPUT_TOKENS", "1000"));
        String key = gw.createTenantWithKey("own");
        String body = "{\"model\":\"gpt-5\",\"max_tokens\":5000," + HI + "}";
        assertEquals(200, gw.postJson("/v1/chat/completions", key, body).statusCode());
        assertEquals(body, lastBody(), "the client's bytes go upstream untouched");
    }

    @Test
    void theGlobalDefaultAppliesToTenantsWithoutTheirOwnAndNeverExceedsTheModelsCap() throws Exception {
        start(Map.of("DEFAULT_MAX_OUTPUT_TOKENS", "50000"));
        String key = gw.createTenantWithKey("global");
        assertEquals(200, gw.postJson("/v1/chat/completions", key, "{\"model\":\"gpt-5\"," + HI + "}").statusCode());
        assertEquals(50000, TestGateway.json(lastBody()).get("max_completion_tokens").asLong());
        // gpt-4o can produce at most 16,384 tokens: a larger default is cut to the model's cap.
        assertEquals(200, gw.postJson("/v1/chat/completions", key, "{\"model\":\"gpt-4o\"," + HI + "}").statusCode());
        assertEquals(16384, TestGateway.json(lastBody()).get("max_completion_tokens").asLong());
        // Cleared on the tenant (null) means the global default again; a tenant value wins over it.
        assertEquals(200, gw.admin("POST", "/admin/tenant/global/limits", "{\"default_max_output_tokens\":200}").statusCode());
        assertEquals(200, gw.postJson("/v1/chat/completions", key, "{\"model\":\"gpt-5\"," + HI + "}").statusCode());
        assertEquals(200, TestGateway.json(lastBody()).get("max_completion_tokens").asLong());
        assertEquals(200, gw.admin("POST", "/admin/tenant/global/limits", "{\"default_max_output_tokens\":null}").statusCode());
        assertEquals(200, gw.postJson("/v1/chat/completions", key, "{\"model\":\"gpt-5\"," + HI + "}").statusCode());
        assertEquals(50000, TestGateway.json(lastBody()).get("max_completion_tokens").asLong());
    }

    @Test
    void badCapsAreRefusedNamingTheField() throws Exception {
        start(Map.of());
        gw.createTenantWithKey("bad");
        for (String v : new String[] {"0", "-1", "10000001", "1.5", "\"100\""}) {
            HttpResponse<String> r = gw.admin("POST", "/admin/tenant/bad/limits", "{\"default_max_output_tokens\":" + v + "}");
            assertEquals(400, r.statusCode(), v + ": " + r.body());
            assertEquals("default_max_output_tokens", TestGateway.json(r.body()).at("/error/param").asText());
        }
        assertEquals(200, gw.admin("POST", "/admin/tenant/bad/limits", "{\"default_max_output_tokens\":10000000}").statusCode());
        assertTrue(TestGateway.json(gw.admin("GET", "/admin/tenant/bad", null).body()).get("default_max_output_tokens").asLong() == 10_000_000);
    }

    private String lastBody() {
        var all = upstream.received();
        return all.get(all.size() - 1).bodyText();
    }

    private BigDecimal estimateOf(HttpResponse<String> r) throws Exception {
        String id = r.headers().firstValue("x-request-id").orElseThrow();
        try (var c = gw.sql(); var ps = c.prepareStatement("SELECT estimated_cost_usd FROM usage_ledger WHERE request_id = ?")) {
            ps.setString(1, id);
            try (var rs = ps.executeQuery()) {
                assertTrue(rs.next(), "a ledger row for " + id);
                return rs.getBigDecimal(1);
            }
        }
    }
}
