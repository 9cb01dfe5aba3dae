package io.budgetguard.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.TestGateway;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Malformed JSON and malformed identifiers are a 400 in the API's envelope, naming the field, on the admin API and
 * the proxy alike, and change nothing: no tenant, no key, no upstream call, no ledger row. Run on both stores.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class MalformedInputContract {
    /** Control and formatting characters an identifier may not hold: C0, DEL, C1, bidi overrides and isolates. */
    static final String[] FORBIDDEN = {"\u0000", "\n", "\r", "\t", "\u001b", "\u007f", "\u0085", "\u009b", "\u202e", "\u2066",
            "\u200f", "\u2028", "\ud800"};
    static final String HI = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    FakeOpenAI upstream;
    TestGateway gw;
    String key;

    abstract Map<String, String> storeEnv();

    @BeforeAll
    void start() throws Exception {
        upstream = new FakeOpenAI();
        gw = TestGateway.start(upstream, storeEnv(), Clock.systemUTC());
        key = gw.createTenantWithKey("strict");
    }

    @AfterAll
    void stop() {
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
    void theAdminApiRefusesMalformedJsonAndCreatesNothing(String body) throws Exception {
        HttpResponse<String> r = gw.admin("POST", "/admin/tenant", body);
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("invalid_request_error", TestGateway.json(r.body()).at("/error/type").asText());
        assertEquals(404, gw.admin("GET", "/admin/tenant/m3", null).statusCode(), "no tenant was created");
        assertEquals(404, gw.admin("GET", "/admin/tenant/m4", null).statusCode(), "no tenant was created");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"model\":\"gpt-4o-mini\"," + HI + "} trailing",
            "{\"model\":\"gpt-4o-mini\",\"model\":\"gpt-4o\"," + HI + "}",
            "{\"model\":\"gpt-4o-mini\",\"max_tokens\":1e-2147483648," + HI + "}",
            "{\"model\":\"gpt-4o-mini\",\"temperature\":1e999999," + HI + "}",
            "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"x\":[1e-2147483648]}]}"})
    void theProxyRefusesMalformedJsonAndForwardsNothing(String body) throws Exception {
        assertProxyRefuses(body, null);
    }

    @Test
    void theRefusalNamesTheFieldThatHoldsTheNumber() throws Exception {
        HttpResponse<String> r = gw.postJson("/v1/chat/completions", key,
                "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"x\":[1,1e999999]}]}");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("messages[0].x[1]", TestGateway.json(r.body()).at("/error/param").asText());
        r = gw.admin("POST", "/admin/tenant", "{\"id\":\"m5\",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":1e999999}]}");
        assertEquals("budgets[0].limit_usd", TestGateway.json(r.body()).at("/error/param").asText());
    }

    @Test
    void nestingIsBoundedAtTheConfiguredDepth() throws Exception {
        // The root object is depth 1, so 127 nested arrays reach the default limit of 128.
        for (int arrays : new int[] {126, 127}) {
            HttpResponse<String> r = gw.postJson("/v1/chat/completions", key, nested(arrays));
            assertEquals(200, r.statusCode(), arrays + " nested arrays: " + r.body());
        }
        assertProxyRefuses(nested(128), null);
    }

    @Test
    void aModelNameWithAControlCharacterIsRefusedBeforeItIsPriced() throws Exception {
        for (String c : FORBIDDEN) {
            assertProxyRefuses("{\"model\":\"gpt-4o-mini" + escaped(c) + "\"," + HI + "}", "model");
        }
    }

    @Test
    void endUserIdsAreIdentifiersToo() throws Exception {
        for (String field : new String[] {"user", "safety_identifier"}) {
            for (String c : FORBIDDEN) {
                assertProxyRefuses("{\"model\":\"gpt-4o-mini\",\"" + field + "\":\"u" + escaped(c) + "\"," + HI + "}", field);
            }
            assertProxyRefuses("{\"model\":\"gpt-4o-mini\",\"" + field + "\":7," + HI + "}", field);
            assertProxyRefuses("{\"model\":\"gpt-4o-mini\",\"" + field + "\":\"" + "u".repeat(257) + "\"," + HI + "}", field);
            HttpResponse<String> r = gw.postJson("/v1/chat/completions", key,
                    "{\"model\":\"gpt-4o-mini\",\"" + field + "\":\"" + "u".repeat(256) + "\"," + HI + "}");
            assertEquals(200, r.statusCode(), r.body());
        }
    }

    @Test
    void tenantAndKeyNamesWithControlCharactersAreRefusedAndNothingIsStored() throws Exception {
        for (String c : FORBIDDEN) {
            HttpResponse<String> r = gw.admin("POST", "/admin/tenant", "{\"id\":\"ctl\",\"name\":\"evil" + escaped(c) + "\"}");
            assertRefusal(r, 400, "name");
            assertEquals(404, gw.admin("GET", "/admin/tenant/ctl", null).statusCode(), "no tenant was created");
            long keys = gw.sqlLong("SELECT COUNT(*) FROM api_keys");
            r = gw.admin("POST", "/admin/tenant/strict/apikeys", "{\"name\":\"k" + escaped(c) + "\"}");
            assertRefusal(r, 400, "name");
            assertEquals(keys, gw.sqlLong("SELECT COUNT(*) FROM api_keys"), "no key was created");
        }
    }

    @Test
    void aTenantNameIsBoundedAtTwoHundredCharacters() throws Exception {
        assertEquals(201, gw.admin("POST", "/admin/tenant", "{\"id\":\"n199\",\"name\":\"" + "n".repeat(199) + "\"}").statusCode());
        assertEquals(201, gw.admin("POST", "/admin/tenant", "{\"id\":\"n200\",\"name\":\"" + "n".repeat(200) + "\"}").statusCode());
        assertRefusal(gw.admin("POST", "/admin/tenant", "{\"id\":\"n201\",\"name\":\"" + "n".repeat(201) + "\"}"), 400, "name");
        assertEquals(404, gw.admin("GET", "/admin/tenant/n201", null).statusCode());
    }

    @Test
    void aKeyIdWithAControlCharacterIsA400NotAStoreOutage() throws Exception {
        for (String c : new String[] {"\u0000", "\n", "\u202e"}) {
            String path = "/admin/tenant/strict/apikeys/key_" + URLEncoder.encode(c, StandardCharsets.UTF_8);
            assertRefusal(gw.admin("DELETE", path, null), 400, "keyId");
        }
        assertRefusal(gw.admin("DELETE", "/admin/tenant/strict/apikeys/key_unknown", null), 404, null);
    }

    private void assertProxyRefuses(String body, String param) throws Exception {
        int callsBefore = upstream.calls();
        long admittedBefore = gw.admitted();
        HttpResponse<String> r = gw.postJson("/v1/chat/completions", key, body);
        assertRefusal(r, 400, param);
        assertEquals(callsBefore, upstream.calls(), "nothing was forwarded");
        assertEquals(admittedBefore, gw.admitted(), "nothing was admitted, so nothing is reserved or recorded");
    }

    private static void assertRefusal(HttpResponse<String> r, int status, String param) {
        assertEquals(status, r.statusCode(), r.body());
        var error = TestGateway.json(r.body()).get("error");
        assertTrue(error.get("message").asText().length() > 0, r.body());
        if (param != null) assertEquals(param, error.get("param").asText(), r.body());
    }

    private static String nested(int arrays) {
        return "{\"model\":\"gpt-4o-mini\"," + HI + ",\"metadata_x\":" + "[".repeat(arrays) + "]".repeat(arrays) + "}";
    }

    private static String escaped(String c) {
        StringBuilder out = new StringBuilder();
        for (char ch : c.toCharArray()) out.append(String.format("\\u%04x", (int) ch));
        return out.toString();
    }
}
