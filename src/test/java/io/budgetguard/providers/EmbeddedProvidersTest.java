package io.budgetguard.providers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.budgetguard.testing.FakeProviders;
import io.budgetguard.testing.TestGateway;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The providers on the embedded store, and each provider's official SDK driven through the gateway unmodified. */
class EmbeddedProvidersTest extends ProvidersContract {
    @Override
    Map<String, String> env() {
        return Map.of();
    }

    static boolean pythonHas(String python, String... modules) {
        try {
            Process p = new ProcessBuilder(python, "-c", "import " + String.join(", ", modules)).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void theAnthropicGoogleAzureAndMistralSdksWorkThroughTheGatewayUnmodified() throws Exception {
        String python = System.getenv().getOrDefault("BUDGETGUARD_PYTHON", "python3");
        boolean present = pythonHas(python, "anthropic", "google.genai", "mistralai.client", "openai");
        if (System.getenv("CI") != null) assertTrue(present, "CI must install anthropic, google-genai, mistralai and openai (pip)");
        Assumptions.assumeTrue(present, "pip install anthropic google-genai mistralai openai to run this test");
        Map<String, String> env = new HashMap<>();
        env.put("GATEWAY", gw.url(""));
        env.put("KEY_OK", tenant("sdk", "10", 1000));
        env.put("KEY_BROKE", tenant("sdk-broke", "0.000001", 1000));
        for (int i = 1; i <= 4; i++) env.put(i == 1 ? "KEY_LIMITED" : "KEY_LIMITED_" + i, tenant("sdk-limited-" + i, "10", 1));
        ProcessBuilder pb = new ProcessBuilder(python, "src/test/python/providers_compat.py").redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the SDK run finished");
        assertEquals(0, p.exitValue(), output);
        JsonNode r = TestGateway.json(output.strip().lines().reduce((a, b) -> b).orElseThrow());
        assertTrue(r.has("anthropic") && r.has("google_genai") && r.has("azure_openai") && r.get("mistral").asBoolean(), r.toString());
        // One ledger row per upstream call, each with its provider; the broke tenant's and the limited second calls
        // never left the gateway.
        Map<String, Long> calls = new HashMap<>();
        for (FakeProviders.Received c : providers.received()) calls.merge(c.provider(), 1L, Long::sum);
        for (String provider : List.of("anthropic", "gemini", "azure", "mistral")) {
            long rows = gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE provider = '" + provider + "'");
            assertEquals(calls.getOrDefault(provider, 0L), rows, provider + ": ledger rows = upstream calls");
            assertTrue(rows >= 3, provider + " rows " + rows);
        }
        assertEquals(0, gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE tenant_id = 'sdk-broke'"));
    }
}
