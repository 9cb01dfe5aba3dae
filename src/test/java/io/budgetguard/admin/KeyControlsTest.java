package io.budgetguard.admin;

import static io.budgetguard.testing.Envelope.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.ShiftableClock;
import io.budgetguard.testing.TestGateway;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What one API key may do, set through the admin API: until when, which models (or model groups), with which default
 * output cap; and its rotation, the old secret working for a grace period. Time comes from the test's clock.
 */
class KeyControlsTest {
    static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    FakeOpenAI upstream;
    TestGateway gw;
    final ShiftableClock clock = new ShiftableClock();

    @BeforeEach
    void start() throws Exception {
        upstream = new FakeOpenAI();
        gw = TestGateway.start(upstream, Map.of(), clock);
        assertEquals(201, gw.admin("POST", "/admin/tenant", "{\"id\":\"acme\"}").statusCode());
    }

    @AfterEach
    void stop() {
        gw.close();
        upstream.close();
    }

    String key(String body) throws Exception {
        HttpResponse<String> r = gw.admin("POST", "/admin/tenant/acme/apikeys", body);
        assertEquals(201, r.statusCode(), r.body());
        String key = TestGateway.json(r.body()).get("key").asText();
        gw.addSecret(key);
        return key;
    }

    int chat(String key, String model) throws Exception {
        return gw.postJson("/v1/chat/completions", key, CHAT.formatted(model)).statusCode();
    }

    @Test
    void aKeyStopsWorkingAtItsExpiry() throws Exception {
        Instant at = clock.instant().plusSeconds(60);
        String key = key("{\"name\":\"temp\",\"expires_at\":\"" + at + "\"}");
        assertEquals(200, chat(key, "gpt-4o-mini"));
        clock.advance(55_000);
        assertEquals(200, chat(key, "gpt-4o-mini"), "before its expiry");
        clock.advance(5_000);
        JsonNode err = assertError(gw.postJson("/v1/chat/completions", key, CHAT.formatted("gpt-4o-mini")), 401, "invalid_api_key");
        assertTrue(err.get("message").asText().contains("expired at " + at), err.toString());
        assertEquals(1 + 1, upstream.calls(), "the expired call never left");
    }

    @Test
    void aKeyLimitedToSomeModelsAndGroupsIs403ForAnyOtherBeforeAnythingIsReserved() throws Exception {
        assertEquals(200, gw.admin("POST", "/admin/tenant/acme/model-groups/small",
                "{\"models\":[\"gpt-4o-mini\"],\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":5}]}").statusCode());
        String key = key("{\"allowed_models\":[\"small\",\"text-embedding-3-small\"]}");
        assertEquals(200, chat(key, "gpt-4o-mini"));
        assertEquals(200, chat(key, "gpt-4o-mini-2024-07-18"), "a dated snapshot of a group's model is in the group");
        JsonNode err = assertError(gw.postJson("/v1/chat/completions", key, CHAT.formatted("gpt-4o")), 403, "model_not_allowed");
        assertTrue(err.get("message").asText().contains("small, text-embedding-3-small"), err.toString());
        assertEquals(2, upstream.calls());
        assertEquals(2, gw.sqlLong("SELECT COUNT(*) FROM usage_ledger"), "the refusal changed nothing");
        String keyId = TestGateway.json(gw.admin("GET", "/admin/tenant/acme", null).body()).at("/api_keys/0/id").asText();
        HttpResponse<String> lifted = gw.admin("POST", "/admin/tenant/acme/apikeys/" + keyId, "{\"allowed_models\":null}");
        assertEquals(200, lifted.statusCode(), lifted.body());
        assertEquals(200, chat(key, "gpt-4o"), "the change is reflected at once on this gateway");
    }

    @Test
    void aKeysDefaultOutputCapIsSetOnRequestsThatSetNone() throws Exception {
        assertEquals(200, gw.admin("POST", "/admin/tenant/acme/limits", "{\"default_max_output_tokens\":500}").statusCode());
        String capped = key("{\"default_max_output_tokens\":77}");
        String plain = key("{}");
        assertEquals(200, chat(capped, "gpt-4o-mini"));
        assertEquals(200, chat(plain, "gpt-4o-mini"));
        assertEquals(77, TestGateway.json(upstream.received().get(0).bodyText()).get("max_completion_tokens").asLong());
        assertEquals(500, TestGateway.json(upstream.received().get(1).bodyText()).get("max_completion_tokens").asLong(),
                "a key without a cap of its own takes its tenant's");
    }

    @Test
    void rotationGivesTheKeyANewSecretAndTheOldOneWorksUntilItsGraceEnds() throws Exception {
        String old = key("{\"name\":\"ci\"}");
        String keyId = TestGateway.json(gw.admin("GET", "/admin/tenant/acme", null).body()).at("/api_keys/0/id").asText();
        assertEquals(200, chat(old, "gpt-4o-mini"));
        HttpResponse<String> r = gw.admin("POST", "/admin/tenant/acme/apikeys/" + keyId + "/rotate", "{\"grace_s\":600}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode rotated = TestGateway.json(r.body());
        String fresh = rotated.get("key").asText();
        gw.addSecret(fresh);
        assertEquals(keyId, rotated.get("id").asText(), "the same key: its budgets and ledger history stay");
        Instant until = Instant.parse(rotated.get("previous_key_valid_until").asText());
        assertTrue(!until.isAfter(clock.instant().plusSeconds(600)) && until.isAfter(clock.instant().plusSeconds(590)), until.toString());
        assertEquals(200, chat(fresh, "gpt-4o-mini"));
        clock.advance(580_000);
        assertEquals(200, chat(old, "gpt-4o-mini"), "the old secret within its grace period");
        clock.advance(20_000);
        JsonNode err = assertError(gw.postJson("/v1/chat/completions", old, CHAT.formatted("gpt-4o-mini")), 401, "invalid_api_key");
        assertTrue(err.get("message").asText().contains("rotated"), err.toString());
        assertEquals(200, chat(fresh, "gpt-4o-mini"));
        assertEquals(4, gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE api_key_id = '" + keyId + "'"), "one key id throughout");
        JsonNode report = TestGateway.json(gw.admin("GET", "/admin/tenant/acme/usage?group_by=key", null).body());
        assertEquals(keyId, report.at("/rows/0/key").asText(), report.toString());
        assertEquals(4, report.at("/rows/0/requests").asLong());
    }

    @Test
    void aKeysOwnRateLimitIs429NamingTheKeyWhileItsTenantStillHasRoom() throws Exception {
        String slow = key("{\"rate_limit_per_min\":2}");
        String other = key("{}");
        assertEquals(200, chat(slow, "gpt-4o-mini"));
        assertEquals(200, chat(slow, "gpt-4o-mini"));
        HttpResponse<String> r = gw.postJson("/v1/chat/completions", slow, CHAT.formatted("gpt-4o-mini"));
        JsonNode err = assertError(r, 429, "rate_limit_exceeded");
        assertTrue(err.get("message").asText().contains("API key key_"), err.toString());
        assertEquals("2", r.headers().firstValue("x-ratelimit-limit-requests").orElse(null), "the headers are the key's");
        assertEquals(200, chat(other, "gpt-4o-mini"), "the tenant's other key is not held");
        clock.advance(62_000);
        assertEquals(200, chat(slow, "gpt-4o-mini"), "a minute later the key has room again");
    }

    @Test
    void tokensPerMinuteOfTheTenantAndOfAKeyAreCheckedWithOpenAisHeaders() throws Exception {
        // "hi" with max_tokens 120 counts its prompt estimate (about 25) plus 120 reserved output tokens: more than
        // half of the key's 200, so a second one fits only because the first settled to the 17 tokens it used.
        String body = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":120,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        assertEquals(200, gw.admin("POST", "/admin/tenant/acme/limits", "{\"tokens_per_min\":1000}").statusCode());
        String tight = key("{\"tokens_per_min\":200}");
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> ok = gw.postJson("/v1/chat/completions", tight, body);
            assertEquals(200, ok.statusCode(), "request " + (i + 1) + ": " + ok.body());
            assertEquals("200", ok.headers().firstValue("x-ratelimit-limit-tokens").orElse(null), "the tighter limit: the key's");
        }
        HttpResponse<String> refused = gw.postJson("/v1/chat/completions", tight, body.replace("\"max_tokens\":120", "\"max_tokens\":250"));
        JsonNode err = assertError(refused, 429, "rate_limit_exceeded");
        assertTrue(err.get("message").asText().contains("tokens per minute") && err.get("message").asText().contains("API key"), err.toString());
        assertEquals("200", refused.headers().firstValue("x-ratelimit-limit-tokens").orElse(null));
        assertEquals(3, upstream.calls(), "the refusal reached nobody");
        assertEquals(1000, TestGateway.json(gw.admin("GET", "/admin/tenant/acme", null).body()).get("tokens_per_min").asLong());
    }

    @Test
    void badControlsAre400AndChangeNothing() throws Exception {
        assertError(gw.admin("POST", "/admin/tenant/acme/apikeys", "{\"expires_at\":\"tomorrow\"}"), 400, "invalid_request");
        assertError(gw.admin("POST", "/admin/tenant/acme/apikeys", "{\"allowed_models\":[]}"), 400, "invalid_request");
        assertError(gw.admin("POST", "/admin/tenant/acme/apikeys", "{\"default_max_output_tokens\":0}"), 400, "invalid_request");
        assertError(gw.admin("POST", "/admin/tenant/acme/apikeys", "{\"rate_limit_per_min\":0}"), 400, "invalid_request");
        assertError(gw.admin("POST", "/admin/tenant/acme/apikeys", "{\"tokens_per_min\":-1}"), 400, "invalid_request");
        assertError(gw.admin("POST", "/admin/tenant/acme/apikeys/key_nope/rotate", "{}"), 404, "not_found");
        assertEquals(0, TestGateway.json(gw.admin("GET", "/admin/tenant/acme", null).body()).get("api_keys").size());
    }
}
