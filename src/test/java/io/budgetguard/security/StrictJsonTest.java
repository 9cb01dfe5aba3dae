package io.budgetguard.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.TestGateway;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Malformed JSON is a 400 in the API's envelope on the admin API and the proxy alike, and changes nothing. */
class StrictJsonTest {
    static FakeOpenAI upstream;
    static TestGateway gw;
    static String key;

    @BeforeAll
    static void start() throws Exception {
        upstream = new FakeOpenAI();
        gw = TestGateway.start(upstream);
        key = gw.createTenantWithKey("strict");
    }

    @AfterAll
    static void stop() {
        gw.close();
        upstream.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"id\":\"m3\"} trailing",
            "{\"id\":\"m3\"}{\"id\":\"m4\"}",
            "{\"id\":\"m3\",\"id\":\"m4\"}",
            "{\"id\":\"m3\",\"rate_limit_per_min\":1e-2147483648}",
            "{\"id\":\"m3\",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":1e999999}]}",
            "{\"id\":\"m3\",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":1e-2147483648}]}"})
    void theAdminApiRefusesItAndCreatesNothing(String body) throws Exception {
        HttpResponse<String> r = gw.admin("POST", "/admin/tenant", body);
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("invalid_request_error", TestGateway.json(r.body()).at("/error/type").asText());
        assertEquals(404, gw.admin("GET", "/admin/tenant/m3", null).statusCode(), "no tenant was created");
        assertEquals(404, gw.admin("GET", "/admin/tenant/m4", null).statusCode(), "no tenant was created");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]} trailing",
            "{\"model\":\"gpt-4o-mini\",\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
            "{\"model\":\"gpt-4o-mini\",\"max_tokens\":1e-2147483648,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
            "{\"model\":\"gpt-4o-mini\",\"temperature\":1e999999,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
            "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"x\":[1e-2147483648]}]}"})
    void theProxyRefusesItAndForwardsNothing(String body) throws Exception {
        int callsBefore = upstream.calls();
        long rowsBefore = gw.sqlLong("SELECT COUNT(*) FROM usage_ledger");
        HttpResponse<String> r = gw.postJson("/v1/chat/completions", key, body);
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(TestGateway.json(r.body()).at("/error/message").asText().length() > 0);
        assertEquals(callsBefore, upstream.calls(), "nothing was forwarded");
        assertEquals(rowsBefore, gw.sqlLong("SELECT COUNT(*) FROM usage_ledger"), "nothing was recorded");
    }

    @org.junit.jupiter.api.Test
    void theRefusalNamesTheFieldThatHoldsTheNumber() throws Exception {
        HttpResponse<String> r = gw.postJson("/v1/chat/completions", key,
                "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"x\":[1,1e999999]}]}");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("messages[0].x[1]", TestGateway.json(r.body()).at("/error/param").asText());
        r = gw.admin("POST", "/admin/tenant", "{\"id\":\"m5\",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":1e999999}]}");
        assertEquals("budgets[0].limit_usd", TestGateway.json(r.body()).at("/error/param").asText());
    }
}
