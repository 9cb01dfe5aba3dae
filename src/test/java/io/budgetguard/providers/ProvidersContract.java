package io.budgetguard.providers;

import static io.budgetguard.testing.Envelope.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.FakeProviders;
import io.budgetguard.testing.TestGateway;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One gateway in front of OpenAI, Azure OpenAI, Anthropic, Gemini and an OpenAI-compatible server (Mistral), each a
 * stand-in speaking that provider's wire format: every provider's request reaches its own upstream with its own key,
 * lands in the ledger with its provider and its cost, and all of them draw on one tenant budget. Run on each store.
 */
abstract class ProvidersContract {
    static final String ANTHROPIC_BODY = "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":100,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Summarise the quarterly report.\"}]}";
    static final String MISTRAL_BODY = "{\"model\":\"mistral-small-latest\",\"max_tokens\":100,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Summarise the quarterly report.\"}]}";
    static final String GEMINI_BODY = "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Summarise the report.\"}]}],"
            + "\"generationConfig\":{\"maxOutputTokens\":100}}";

    FakeOpenAI openai;
    FakeProviders providers;
    TestGateway gw;

    abstract Map<String, String> env();

    static String providersFile(FakeOpenAI openai, FakeProviders p) {
        return """
                {"providers": {
                  "openai": {"kind": "openai", "base_url": "%s/v1", "key_env": "TEST_OPENAI_KEY", "models": "*"},
                  "azure": {"kind": "azure-openai", "base_url": "%s", "key_env": "TEST_AZURE_KEY",
                            "deployments": {"prod-gpt4o": "gpt-4o", "prod-embed": "text-embedding-3-small"}},
                  "anthropic": {"kind": "anthropic", "base_url": "%s", "key_env": "TEST_ANTHROPIC_KEY",
                                "models": ["claude-haiku-4-5", "claude-sonnet-4-5"], "first_byte_timeout_ms": 30000},
                  "gemini": {"kind": "gemini", "base_url": "%s", "key_env": "TEST_GEMINI_KEY", "models": ["gemini-2.5-flash"]},
                  "mistral": {"kind": "openai-compatible", "base_url": "%s", "key_env": "TEST_MISTRAL_KEY",
                              "prices": "mistral", "stream_options": false, "models": ["mistral-small-latest"]}
                },
                "aliases": {"fast": "anthropic/claude-haiku-4-5"}}
                """.formatted(openai.baseUrl(), p.azureUrl(), p.anthropicUrl(), p.geminiUrl(), p.mistralUrl());
    }

    static Map<String, String> providerEnv(FakeOpenAI openai, FakeProviders p) throws Exception {
        Path file = Files.createTempDirectory("providers").resolve("providers.json");
        Files.writeString(file, providersFile(openai, p));
        Map<String, String> env = new HashMap<>();
        env.put("PROVIDERS_PATH", file.toString());
        env.put("TEST_OPENAI_KEY", TestGateway.UPSTREAM_KEY);
        env.put("TEST_AZURE_KEY", FakeProviders.AZURE_KEY);
        env.put("TEST_ANTHROPIC_KEY", FakeProviders.ANTHROPIC_KEY);
        env.put("TEST_GEMINI_KEY", FakeProviders.GEMINI_KEY);
        env.put("TEST_MISTRAL_KEY", FakeProviders.MISTRAL_KEY);
        return env;
    }

    @BeforeEach
    void start() throws Exception {
        openai = new FakeOpenAI();
        providers = new FakeProviders();
        Map<String, String> env = providerEnv(openai, providers);
        env.putAll(env());
        gw = TestGateway.start(openai, env, Clock.systemUTC());
        for (String k : List.of(FakeProviders.AZURE_KEY, FakeProviders.ANTHROPIC_KEY, FakeProviders.GEMINI_KEY, FakeProviders.MISTRAL_KEY)) {
            gw.addSecret(k);
        }
    }

    @AfterEach
    void stop() {
        gw.close();
        providers.close();
        openai.close();
    }

    String tenant(String id, String budgetUsd, int ratePerMin) throws Exception {
        HttpResponse<String> r = gw.admin("POST", "/admin/tenant", "{\"id\":\"" + id + "\",\"rate_limit_per_min\":" + ratePerMin
                + ",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":" + budgetUsd + "}]}");
        assertEquals(201, r.statusCode(), r.body());
        return gw.newKey(id);
    }

    HttpResponse<String> post(String path, Map<String, String> headers, String body) throws Exception {
        HttpRequest.Builder b = gw.request(path).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return gw.send(b);
    }

    /** The ledger rows of a tenant: provider, model, prompt, cached, cache write, completion, cost in micro-USD. */
    List<List<Object>> ledger(String tenant, long rows) throws Exception {
        for (int i = 0; i < 300 && gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE tenant_id = '" + tenant + "'") < rows; i++) {
            Thread.sleep(50);
        }
        List<List<Object>> out = new ArrayList<>();
        try (var c = gw.sql(); var st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT provider, model, prompt_tokens, "
                + "cached_tokens, cache_write_tokens, completion_tokens, cost_usd FROM usage_ledger WHERE tenant_id = '" + tenant
                + "' ORDER BY started_at, request_id")) {
            while (rs.next()) {
                out.add(List.of(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6),
                        rs.getBigDecimal(7).movePointRight(6).longValueExact()));
            }
        }
        return out;
    }

    @Test
    void anAnthropicMessageIsPricedWithItsCacheWritesAndReadsAndRecordedAsAnthropic() throws Exception {
        String key = tenant("ant", "10", 1000);
        for (boolean stream : new boolean[] {false, true}) {
            HttpResponse<String> r = post("/v1/messages", Map.of("x-api-key", key, "anthropic-version", "2023-06-01"),
                    stream ? ANTHROPIC_BODY.replace("\"max_tokens\":100", "\"max_tokens\":100,\"stream\":true") : ANTHROPIC_BODY);
            assertEquals(200, r.statusCode(), r.body());
            if (stream) assertTrue(r.body().contains("event: message_delta"), "events pass through as they are");
        }
        // claude-haiku-4-5: $1 input, $1.25 cache write, $0.10 cache read, $5 output per 1M tokens:
        // 25 x 1 + 100 x 1.25 + 40 x 0.1 + 15 x 5 = 229 micro-USD; the prompt is all 165 tokens.
        List<Object> row = List.of("anthropic", "claude-haiku-4-5", 165L, 40L, 100L, 15L, 229L);
        assertEquals(List.of(row, row), ledger("ant", 2));
        for (FakeProviders.Received r : providers.received("anthropic")) {
            assertEquals(FakeProviders.ANTHROPIC_KEY, r.header("x-api-key"), "the provider's key replaces the tenant's");
            assertEquals("2023-06-01", r.header("anthropic-version"));
        }
    }

    @Test
    void aGeminiCallIsPricedFromUsageMetadataWithThoughtsAsOutput() throws Exception {
        String key = tenant("gem", "10", 1000);
        assertEquals(200, post("/v1beta/models/gemini-2.5-flash:generateContent", Map.of("x-goog-api-key", key), GEMINI_BODY).statusCode());
        HttpResponse<String> sse = post("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=" + key, Map.of(), GEMINI_BODY);
        assertEquals(200, sse.statusCode(), sse.body());
        HttpResponse<String> array = post("/v1beta/models/gemini-2.5-flash:streamGenerateContent", Map.of("x-goog-api-key", key), GEMINI_BODY);
        assertEquals(200, array.statusCode(), array.body());
        // gemini-2.5-flash as priced: (30 - 10 cached) x 1 + 10 x 0.1 + (12 + 8) x 2.5 = 71 micro-USD.
        List<Object> row = List.of("gemini", "gemini-2.5-flash", 30L, 10L, 0L, 20L, 71L);
        assertEquals(List.of(row, row, row), ledger("gem", 3));
        JsonNode report = TestGateway.json(gw.admin("GET", "/admin/tenant/gem/usage?group_by=provider", null).body());
        assertEquals("gemini", report.at("/rows/0/key").asText(), report.toString());
        assertEquals(3, report.at("/rows/0/requests").asLong(), report.toString());
        for (FakeProviders.Received r : providers.received("gemini")) {
            assertEquals(FakeProviders.GEMINI_KEY, r.header("x-goog-api-key"));
            assertTrue(r.query() == null || !r.query().contains("key="), "the tenant's key= never reaches Google: " + r.query());
        }
    }

    @Test
    void azureDeploymentsAreCalledWithTheApiKeyHeaderAndPricedAsTheirModel() throws Exception {
        String key = tenant("az", "10", 1000);
        HttpResponse<String> r = post("/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21", Map.of("api-key", key),
                "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":50}");
        assertEquals(200, r.statusCode(), r.body());
        FakeProviders.Received got = providers.received("azure").getFirst();
        assertEquals("/openai/deployments/prod-gpt4o/chat/completions", got.path());
        assertEquals("api-version=2024-10-21", got.query());
        assertEquals(FakeProviders.AZURE_KEY, got.header("api-key"));
        assertNull(got.header("authorization"));
        // gpt-4o: $2.50 input, $10 output per 1M tokens: 12 x 2.5 + 5 x 10 = 80 micro-USD.
        assertEquals(List.of(List.of("azure", "prod-gpt4o", 12L, 0L, 0L, 5L, 80L)), ledger("az", 1));
    }

    @Test
    void anUnknownModelIs400NamingTheKnownOnesAndTheModelListSpansProviders() throws Exception {
        String key = tenant("lost", "10", 1000);
        HttpResponse<String> r = post("/v1/messages", Map.of("x-api-key", key), ANTHROPIC_BODY.replace("claude-haiku-4-5", "claude-nope"));
        JsonNode err = assertError(r, 400, "invalid_request");
        assertTrue(err.get("message").asText().contains("claude-haiku-4-5") && err.get("message").asText().contains("gemini-2.5-flash"),
                err.toString());
        JsonNode wrongShape = assertError(post("/v1/messages", Map.of("x-api-key", key), ANTHROPIC_BODY.replace("claude-haiku-4-5",
                "gemini-2.5-flash")), 400, "invalid_request");
        assertTrue(wrongShape.get("message").asText().contains("gemini"), wrongShape.toString());
        JsonNode list = TestGateway.json(gw.send(gw.request("/v1/models").header("Authorization", "Bearer " + key)).body());
        Map<String, String> owners = new HashMap<>();
        for (JsonNode m : list.get("data")) owners.put(m.get("id").asText(), m.get("owned_by").asText());
        assertEquals("anthropic", owners.get("claude-haiku-4-5"));
        assertEquals("anthropic", owners.get("fast"));
        assertEquals("gemini", owners.get("gemini-2.5-flash"));
        assertEquals("azure", owners.get("prod-gpt4o"));
        assertEquals("openai", owners.get("gpt-4o-mini"));
        assertEquals(0, providers.received().size() + openai.calls(), "nothing was forwarded");
        assertEquals(0, gw.sqlLong("SELECT COUNT(*) FROM usage_ledger"));
    }

    @Test
    void oneTenantBudgetHoldsWhenAHundredRequestsRaceAcrossFourProviders() throws Exception {
        providers.outputAtMaxTokens = true;
        providers.anthropicUsage = new long[] {20, 0, 0, 0}; // a prompt within the bound the gateway reserved
        String key = tenant("split", "0.01", 100_000);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<CompletableFuture<HttpResponse<String>>> fs = new ArrayList<>();
        // Each provider through its own API and its own key header: Anthropic, Mistral, Gemini, Azure OpenAI.
        String[][] shapes = {
                {"/v1/messages", "x-api-key", key, ANTHROPIC_BODY},
                {"/v1/chat/completions", "Authorization", "Bearer " + key, MISTRAL_BODY},
                {"/v1beta/models/gemini-2.5-flash:generateContent", "x-goog-api-key", key, GEMINI_BODY},
                {"/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21", "api-key", key,
                        MISTRAL_BODY.replace("\"model\":\"mistral-small-latest\",", "")}};
        // One of each first, one after the other, so every provider has drawn on the budget whatever the race leaves
        // (Azure's gpt-4o reserves the most and would lose most races for the last fragments of the budget).
        for (String[] s : shapes) {
            HttpResponse<String> r = gw.send(HttpRequest.newBuilder(URI.create(gw.url(s[0]))).header("Content-Type", "application/json")
                    .header(s[1], s[2]).POST(HttpRequest.BodyPublishers.ofString(s[3])));
            assertEquals(200, r.statusCode(), s[0] + ": " + r.body());
        }
        for (int i = 0; i < 100; i++) {
            String[] s = shapes[i % shapes.length];
            fs.add(client.sendAsync(HttpRequest.newBuilder(URI.create(gw.url(s[0]))).timeout(java.time.Duration.ofSeconds(60))
                    .header("Content-Type", "application/json").header(s[1], s[2])
                    .POST(HttpRequest.BodyPublishers.ofString(s[3])).build(), HttpResponse.BodyHandlers.ofString()));
        }
        long ok = 0, refused = 0;
        for (var f : fs) {
            int s = f.get().statusCode();
            if (s == 200) ok++;
            else if (s == 402) refused++;
        }
        assertEquals(100, ok + refused, "every request is served or refused with 402");
        assertTrue(ok >= 4 && refused > 0, "ok " + ok + ", refused " + refused);
        List<List<Object>> rows = ledger("split", ok + shapes.length);
        assertEquals(ok + shapes.length, rows.size());
        long spent = rows.stream().mapToLong(r -> (Long) r.get(6)).sum();
        assertTrue(spent <= 10_000, "spent " + spent + " micro-USD over a 10,000 cap");
        for (String provider : List.of("anthropic", "mistral", "gemini", "azure")) {
            assertTrue(rows.stream().anyMatch(r -> r.get(0).equals(provider)), provider + " drew on the one budget: " + rows);
        }
        JsonNode w = TestGateway.json(gw.admin("GET", "/admin/tenant/split", null).body()).at("/budgets/0");
        assertEquals(0, new BigDecimal(w.get("reserved_usd").asText()).signum(), "every reservation settled");
        assertEquals(spent, new BigDecimal(w.get("spent_usd").asText()).movePointRight(6).longValueExact(), "counters equal the ledger");
    }
}
