package io.budgetguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.testing.FakeRealtime;
import io.budgetguard.testing.TestGateway;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Realtime sessions under the cap, driven by the official Python SDK's realtime client: the session holds one
 * response's worst case (gpt-4o-mini-realtime: 16,000 tokens in at $10/M and 16,000 out at $20/M, $0.48), each
 * {@code response.done} is settled at its usage as it arrives ($0.20 here), and the session is closed with an
 * {@code error} event the moment the next worst case no longer fits: with $1, after the third response
 * ($0.60 spent + $0.48 > $1).
 */
class RealtimeTest {
    @Test
    void eachResponseIsSettledAsItEndsAndTheSessionClosesWhenTheBudgetRunsOut() throws Exception {
        try (FakeRealtime upstream = new FakeRealtime(TestGateway.UPSTREAM_KEY);
             TestGateway gw = TestGateway.start(null, Map.of("OPENAI_BASE_URL", upstream.baseUrl(), "REALTIME_PORT", "0"),
                     java.time.Clock.systemUTC())) {
            gw.admin("POST", "/admin/tenant", "{\"id\":\"voice\",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":1}]}");
            gw.admin("POST", "/admin/tenant", "{\"id\":\"broke\",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":0.3}]}");
            String key = gw.newKey("voice");
            SdkCompatibilityTest.python("realtime_compat.py", Map.of("BASE_URL", gw.url("/v1"),
                    "WS_URL", "ws://127.0.0.1:" + gw.gateway().realtimePort() + "/v1", "KEY", key, "KEY_BROKE", gw.newKey("broke")),
                    "websockets");
            assertEquals("0.6 x3", ImagesTest.cost(gw, "endpoint = '/v1/realtime' AND tenant_id = 'voice'"), "one row per response");
            assertEquals("0 x0", ImagesTest.cost(gw, "tenant_id = 'broke'"), "refused before anything reached the provider");
            assertEquals(3, upstream.received().stream().filter("response.create"::equals).count(),
                    "the fourth response.create never reached the provider");
            assertEquals(1, upstream.connections(), "the broke tenant's session never reached the provider");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (upstream.closedConnections() < 1) {
                assertTrue(System.nanoTime() < deadline, "the provider's side was closed with the client's");
                Thread.sleep(20);
            }
            var r = gw.send(gw.request("/v1/realtime").header("Authorization", "Bearer " + key).GET());
            assertEquals(400, r.statusCode(), "the HTTP port points to the realtime listener: " + r.body());
        }
    }
}
