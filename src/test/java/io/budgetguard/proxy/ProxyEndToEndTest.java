package io.budgetguard.proxy;

import static io.budgetguard.testing.Envelope.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.TestGateway;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProxyEndToEndTest {
    static FakeOpenAI upstream;
    static TestGateway gw;
    static String key;

    static final String CHAT = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @BeforeAll
    static void start() throws Exception {
        upstream = new FakeOpenAI();
        gw = TestGateway.start(upstream);
        key = gw.createTenantWithKey("acme");
    }

    @AfterAll
    static void stop() {
        gw.close();
        upstream.close();
    }

    @BeforeEach
    void resetUpstream() {
        upstream.reset();
    }

    @Test
    void chatCompletionIsForwardedAndAnsweredWithTheUpstreamBody() throws Exception {
        HttpResponse<String> r = gw.postJson("/v1/chat/completions", key, CHAT);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = TestGateway.json(r.body());
        assertEquals("Hello from the fake upstream.", body.at("/choices/0/message/content").asText());
        assertEquals(12, body.at("/usage/prompt_tokens").asInt());
        assertTrue(r.headers().firstValue("x-request-id").orElse("").startsWith("req_"));
        assertEquals(1, upstream.calls());
        FakeOpenAI.Received got = upstream.received().get(0);
        assertEquals("/v1/chat/completions", got.path());
        assertEquals(CHAT, got.bodyText(), "a non-streaming body is forwarded byte for byte");
    }

    @Test
    void aModerationPassesThroughFreeWithALedgerRowAtCostZeroAndCountsTowardsTheRateLimit() throws Exception {
        try (TestGateway limited = TestGateway.start(upstream)) {
            limited.admin("POST", "/admin/tenant", "{\"id\":\"moderated\",\"rate_limit_per_min\":2}");
            String k = limited.newKey("moderated");
            HttpResponse<String> r = limited.postJson("/v1/moderations", k, "{\"input\":\"is this fine?\"}");
            assertEquals(200, r.statusCode(), r.body());
            assertFalse(TestGateway.json(r.body()).at("/results/0/flagged").asBoolean(true), r.body());
            assertEquals("/v1/moderations", upstream.received().get(0).path());
            String id = r.headers().firstValue("x-request-id").orElseThrow();
            assertEquals(1, limited.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE request_id = '" + id
                    + "' AND endpoint = '/v1/moderations' AND cost_usd = 0 AND status = 'ok'"), "a free call, recorded");
            assertEquals(200, limited.postJson("/v1/moderations", k,
                    "{\"model\":\"omni-moderation-latest\",\"input\":\"and this?\"}").statusCode(), "the second of the two a minute allows");
            assertEquals(429, limited.postJson("/v1/moderations", k, "{\"input\":\"one more\"}").statusCode(),
                    "the third within the minute is over the tenant's rate limit");
        }
    }

    @Test
    void theServerKeyReplacesTheTenantKeyUpstream() throws Exception {
        gw.postJson("/v1/chat/completions", key, CHAT);
        FakeOpenAI.Received got = upstream.received().get(0);
        assertEquals("Bearer " + TestGateway.UPSTREAM_KEY, got.header("authorization"));
        for (var h : got.headers().entrySet()) assertFalse(h.getValue().contains(key), "tenant key in header " + h.getKey());
        assertFalse(got.bodyText().contains(key));
    }

    @Test
    void upstreamOrganisationHeadersDoNotReachTheClient() throws Exception {
        HttpResponse<String> r = gw.postJson("/v1/chat/completions", key, CHAT);
        assertTrue(r.headers().firstValue("openai-organization").isEmpty());
        assertEquals("req_upstream_fake", r.headers().firstValue("x-upstream-request-id").orElse(null));
    }

    @Test
    void xApiKeyHeaderAuthenticatesToo() throws Exception {
        HttpResponse<String> r = gw.send(gw.request("/v1/chat/completions").header("Content-Type", "application/json")
                .header("X-API-Key", key).header("X-Tenant-Id", "acme").POST(HttpRequest.BodyPublishers.ofString(CHAT)));
        assertEquals(200, r.statusCode(), r.body());
    }

    @Test
    void aTenantIdThatDoesNotMatchTheKeyIsRefused() throws Exception {
        HttpResponse<String> r = gw.send(gw.request("/v1/chat/completions").header("Content-Type", "application/json")
                .header("X-API-Key", key).header("X-Tenant-Id", "other").POST(HttpRequest.BodyPublishers.ofString(CHAT)));
        assertError(r, 401, "invalid_api_key");
        assertEquals(0, upstream.calls());
    }

    @Test
    void aWrongKeyIsRefusedWithoutEchoingIt() throws Exception {
        HttpResponse<String> r = gw.postJson("/v1/chat/completions", "bg_not-a-real-key-123", CHAT);
        assertError(r, 401, "invalid_api_key");
        assertFalse(r.body().contains("bg_not-a-real-key-123"));
        assertEquals(0, upstream.calls());
    }

    @Test
    void aMissingKeyIsRefused() throws Exception {
        assertError(gw.postJson("/v1/chat/completions", null, CHAT), 401, "invalid_api_key");
    }

    @Test
    void malformedJsonIsRefusedAndNeverForwarded() throws Exception {
        assertError(gw.postJson("/v1/chat/completions", key, "{\"model\": \"gpt-4o-mini\", "), 400, "invalid_request");
        assertError(gw.postJson("/v1/chat/completions", key, "[1,2]"), 400, "invalid_request");
        assertEquals(0, upstream.calls());
    }

    @Test
    void aMissingModelIsRefusedNamingTheParameter() throws Exception {
        JsonNode err = assertError(gw.postJson("/v1/chat/completions", key, "{\"messages\":[]}"), 400, "invalid_request");
        assertEquals("model", err.get("param").asText());
    }

    @Test
    void aNonJsonContentTypeIsRefused() throws Exception {
        HttpResponse<String> r = gw.send(gw.request("/v1/chat/completions").header("Content-Type", "text/plain")
                .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofString(CHAT)));
        assertError(r, 400, "invalid_request");
        assertEquals(0, upstream.calls());
    }

    @Test
    void anUnpricedModelIsRefusedBecauseItsCostCannotBeCapped() throws Exception {
        JsonNode err = assertError(gw.postJson("/v1/chat/completions", key, "{\"model\":\"mystery-1\",\"messages\":[]}"),
                400, "invalid_request");
        assertEquals("model", err.get("param").asText());
        assertEquals(0, upstream.calls());
    }

    @Test
    void aDatedModelSnapshotIsPricedByItsFamily() throws Exception {
        HttpResponse<String> r = gw.postJson("/v1/chat/completions", key,
                "{\"model\":\"gpt-4o-mini-2024-07-18\",\"messages\":[]}");
        assertEquals(200, r.statusCode(), r.body());
    }

    @Test
    void everyForwardedRequestHasExactlyOneLedgerRowWithTokensAndCost() throws Exception {
        upstream.usage(1000, 200, 500);
        HttpResponse<String> r = gw.postJson("/v1/chat/completions", key, CHAT);
        String requestId = r.headers().firstValue("x-request-id").orElseThrow();
        try (Connection c = gw.sql(); PreparedStatement ps = c.prepareStatement(
                "SELECT tenant_id, endpoint, model, status, prompt_tokens, cached_tokens, completion_tokens, cost_usd, "
                        + "upstream_status, api_key_id FROM usage_ledger WHERE request_id = ?")) {
            ps.setString(1, requestId);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next(), "ledger row for " + requestId);
                assertEquals("acme", rs.getString(1));
                assertEquals("/v1/chat/completions", rs.getString(2));
                assertEquals("gpt-4o-mini", rs.getString(3));
                assertEquals("ok", rs.getString(4));
                assertEquals(1000, rs.getLong(5));
                assertEquals(200, rs.getLong(6));
                assertEquals(500, rs.getLong(7));
                // gpt-4o-mini: 800 × $0.15/M + 200 × $0.075/M + 500 × $0.60/M = $0.000435
                assertEquals(0, new java.math.BigDecimal("0.000435").compareTo(rs.getBigDecimal(8)));
                assertEquals(200, rs.getInt(9));
                assertTrue(rs.getString(10).startsWith("key_"));
                assertFalse(rs.next());
            }
        }
    }

    @Test
    void anUpstreamErrorIsPassedThroughAndRecordedWithoutCost() throws Exception {
        upstream.failNext(500, "server_error", "The server had an error");
        HttpResponse<String> r = gw.postJson("/v1/chat/completions", key, CHAT);
        assertEquals(500, r.statusCode());
        assertEquals("server_error", TestGateway.json(r.body()).at("/error/code").asText());
        String id = r.headers().firstValue("x-request-id").orElseThrow();
        assertEquals(1, gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE request_id = '" + id
                + "' AND status = 'upstream_error' AND upstream_status = 500 AND cost_usd = 0"));
    }

    @Test
    void completionsEmbeddingsResponsesAndModelsAreProxied() throws Exception {
        assertEquals(200, gw.postJson("/v1/completions", key, "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"hi\"}").statusCode());
        assertEquals(200, gw.postJson("/v1/embeddings", key, "{\"model\":\"text-embedding-3-small\",\"input\":\"hi\"}").statusCode());
        HttpResponse<String> resp = gw.postJson("/v1/responses", key, "{\"model\":\"gpt-4o\",\"input\":\"hi\"}");
        assertEquals(200, resp.statusCode());
        HttpResponse<String> models = gw.send(gw.request("/v1/models").header("Authorization", "Bearer " + key).GET());
        assertEquals(200, models.statusCode());
        assertEquals("list", TestGateway.json(models.body()).get("object").asText());
        assertEquals(4, upstream.calls());
        String ids = String.join("','", java.util.List.of(
                resp.headers().firstValue("x-request-id").orElseThrow(), models.headers().firstValue("x-request-id").orElseThrow()));
        assertEquals(2, gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE request_id IN ('" + ids + "')"));
        // The Responses API reports input/output tokens: 8 uncached × $2.50/M + 4 cached × $1.25/M + 5 × $10/M
        assertEquals(1, gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE request_id = '"
                + resp.headers().firstValue("x-request-id").orElseThrow() + "' AND prompt_tokens = 12 AND completion_tokens = 5"
                + " AND cost_usd = 0.000075"));
    }

    @Test
    void anUnreachableUpstreamIs502AndStillRecorded() throws Exception {
        try (TestGateway down = TestGateway.start(null)) {
            String k = down.createTenantWithKey("lonely");
            HttpResponse<String> r = down.postJson("/v1/chat/completions", k, CHAT);
            assertError(r, 502, "upstream_error");
            assertEquals(1, down.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE status = 'upstream_error' "
                    + "AND upstream_status IS NULL AND cost_usd = 0"));
        }
    }

    @Test
    void anUpstreamSlowerThanTheFirstByteTimeoutIs504() throws Exception {
        try (TestGateway slow = TestGateway.start(upstream, java.util.Map.of("UPSTREAM_FIRST_BYTE_TIMEOUT_MS", "300"),
                java.time.Clock.systemUTC())) {
            String k = slow.createTenantWithKey("patient");
            var release = upstream.holdHeaders();
            try {
                assertError(slow.postJson("/v1/chat/completions", k, CHAT), 504, "upstream_timeout");
            } finally {
                release.countDown();
            }
        }
    }

    @Test
    void bodiesAreLimitedAtExactlyMaxBodyBytes() throws Exception {
        int limit = 2048;
        try (TestGateway small = TestGateway.start(upstream, java.util.Map.of("MAX_BODY_BYTES", Integer.toString(limit)),
                java.time.Clock.systemUTC())) {
            String k = small.createTenantWithKey("small");
            assertEquals(200, small.postJson("/v1/chat/completions", k, bodyOfSize(limit - 1)).statusCode());
            assertEquals(200, small.postJson("/v1/chat/completions", k, bodyOfSize(limit)).statusCode());
            assertError(small.postJson("/v1/chat/completions", k, bodyOfSize(limit + 1)), 413, "request_too_large");
        }
    }

    static String bodyOfSize(int bytes) {
        String head = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"";
        String tail = "\"}]}";
        return head + "x".repeat(bytes - head.length() - tail.length()) + tail;
    }

    @Test
    void aRevokedKeyIsRefusedAtOnce() throws Exception {
        String k = gw.newKey("acme");
        assertEquals(200, gw.postJson("/v1/chat/completions", k, CHAT).statusCode());
        String keyId = TestGateway.json(gw.admin("GET", "/admin/tenant/acme", null).body()).get("api_keys")
                .findValues("id").stream().map(JsonNode::asText).reduce((a, b) -> b).orElseThrow();
        assertEquals(200, gw.admin("DELETE", "/admin/tenant/acme/apikeys/" + keyId, null).statusCode());
        assertError(gw.postJson("/v1/chat/completions", k, CHAT), 401, "invalid_api_key");
    }

    @Test
    void unknownRoutesAndWrongMethodsAnswerInTheEnvelope() throws Exception {
        assertError(gw.send(gw.request("/v1/nothing").GET()), 404, "unknown_url");
        HttpResponse<String> r = gw.send(gw.request("/v1/chat/completions").GET());
        assertError(r, 405, "method_not_allowed");
        assertEquals("POST", r.headers().firstValue("allow").orElse(null));
    }

    @Test
    void healthAnswersWithoutAuthentication() throws Exception {
        HttpResponse<String> r = gw.send(gw.request("/health").GET());
        assertEquals(200, r.statusCode());
        assertEquals("ok", TestGateway.json(r.body()).get("status").asText());
        assertNull(r.headers().firstValue("www-authenticate").orElse(null));
    }
}
