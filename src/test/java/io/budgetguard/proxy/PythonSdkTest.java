package io.budgetguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.TestGateway;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The official OpenAI Python SDK, unmodified, with base_url pointed at the gateway. */
class PythonSdkTest {
    static String python() {
        String p = System.getenv("BUDGETGUARD_PYTHON");
        return p == null || p.isBlank() ? "python3" : p;
    }

    static boolean sdkInstalled() {
        try {
            Process p = new ProcessBuilder(python(), "-c", "import openai").redirectErrorStream(true).start();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void theOfficialPythonSdkWorksThroughTheGateway() throws Exception {
        boolean installed = sdkInstalled();
        if (System.getenv("CI") != null) {
            assertTrue(installed, "CI must install the openai package (pip install openai)");
        }
        Assumptions.assumeTrue(installed, "pip install openai to run this test");
        try (FakeOpenAI upstream = new FakeOpenAI(); TestGateway gw = TestGateway.start(upstream)) {
            String key = gw.createTenantWithKey("python-app");
            ProcessBuilder pb = new ProcessBuilder(python(), Path.of("src/test/python/sdk_smoke.py").toString());
            pb.environment().put("BASE_URL", gw.url("/v1"));
            pb.environment().put("API_KEY", key);
            pb.redirectErrorStream(true);
            Process p = pb.start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the SDK run finished");
            assertEquals(0, p.exitValue(), output);
            JsonNode result = TestGateway.json(output.lines().reduce((a, b) -> b).orElseThrow());
            assertEquals("Hello from the fake stream.", result.get("stream").asText());
            assertEquals("invalid_api_key", result.get("bad_key").asText());
            // Every upstream call has exactly one ledger row; refused requests have none.
            assertEquals(upstream.calls(), gw.sqlLong("SELECT COUNT(*) FROM usage_ledger"));
            assertEquals(upstream.calls(), gw.sqlLong("SELECT COUNT(DISTINCT request_id) FROM usage_ledger"));
            assertEquals(8, upstream.calls());
            for (FakeOpenAI.Received r : upstream.received()) {
                assertEquals("Bearer " + TestGateway.UPSTREAM_KEY, r.header("authorization"));
            }
        }
    }
}
