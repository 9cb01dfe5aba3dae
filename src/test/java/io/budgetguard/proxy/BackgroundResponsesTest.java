package io.budgetguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.RedisServer;
import io.budgetguard.testing.TestGateway;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Background responses: reserved at their worst case when created, held while they run (not settled at the worst
 * case because the answer came back at once without usage), and settled once at their usage when they end: by the
 * client's own retrieve that sees the end, or by the worker's poll for one nobody retrieves. On both stores.
 */
class BackgroundResponsesTest {
    @Test
    void onTheEmbeddedStore() throws Exception {
        heldUntilTheyEnd(Map.of());
    }

    @Test
    void onRedisAndPostgres() throws Exception {
        try (RedisServer redis = RedisServer.start()) {
            heldUntilTheyEnd(TestGateway.productionStores(redis));
        }
    }

    private void heldUntilTheyEnd(Map<String, String> stores) throws Exception {
        Map<String, String> env = new HashMap<>(stores);
        env.put("WORKER_PERIOD_MS", "100");
        env.put("HELD_POLL_MS", "100");
        try (FakeOpenAI upstream = new FakeOpenAI(); TestGateway gw = TestGateway.start(upstream, env, java.time.Clock.systemUTC())) {
            upstream.usage(1000, 0, 500);
            String key = gw.createTenantWithKey("writer");
            SdkCompatibilityTest.python("background_compat.py", Map.of("BASE_URL", gw.url("/v1"), "KEY", key,
                    "UPSTREAM", upstream.baseUrl()));
            String where = "endpoint = '/v1/responses' AND cost_usd > 0";
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE " + where) < 2) {
                assertTrue(System.nanoTime() < deadline, "both background responses settle: " + ImagesTest.cost(gw, where));
                Thread.sleep(50);
            }
            gw.awaitWorkerPasses("background_responses", 3);
            // 1,000 prompt tokens at $0.15/M and 500 output tokens at $0.60/M, each; never their 2,000-token worst case.
            assertEquals("0.0009 x2", ImagesTest.cost(gw, "endpoint = '/v1/responses'"), "each once, at its usage");
            var info = TestGateway.json(gw.admin("GET", "/admin/tenant/writer", null).body());
            assertEquals(0, new java.math.BigDecimal(info.path("budgets").get(0).path("reserved_usd").asText()).signum(), "nothing held");
        }
    }
}
