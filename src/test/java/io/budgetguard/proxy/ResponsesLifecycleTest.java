package io.budgetguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.RedisServer;
import io.budgetguard.testing.ShiftableClock;
import io.budgetguard.testing.TestGateway;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Stored responses: retrieve, delete, cancel and input items reach only the tenant that created the response (the
 * gateway's own record of who created it, never the id alone); another tenant's call is the 404 OpenAI gives for a
 * response that does not exist and never reaches the provider. Driven by the official Python SDK.
 */
class ResponsesLifecycleTest {
    @Test
    void onTheEmbeddedStore() throws Exception {
        lifecycle(Map.of());
    }

    @Test
    void onRedisAndPostgres() throws Exception {
        try (RedisServer redis = RedisServer.start()) {
            lifecycle(TestGateway.productionStores(redis));
        }
    }

    private void lifecycle(Map<String, String> stores) throws Exception {
        String python = System.getenv().getOrDefault("BUDGETGUARD_PYTHON", "python3");
        SdkCompatibilityTest.requireTool(SdkCompatibilityTest.runs(python, "-c", "import openai"), "the openai Python package");
        try (FakeOpenAI upstream = new FakeOpenAI(); TestGateway gw = TestGateway.start(upstream, stores, new ShiftableClock())) {
            String mine = gw.createTenantWithKey("creator"), other = gw.createTenantWithKey("bystander");
            ProcessBuilder pb = new ProcessBuilder(python, "src/test/python/responses_compat.py").redirectErrorStream(true);
            pb.environment().put("BASE_URL", gw.url("/v1"));
            pb.environment().put("KEY", mine);
            pb.environment().put("KEY_OTHER", other);
            Process p = pb.start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), output);
            String id = TestGateway.json(output.strip().lines().reduce((a, b) -> b).orElseThrow()).get("own").asText();
            long toProvider = upstream.received().stream().filter(r -> r.path().startsWith("/v1/responses/" + id)).count();
            assertEquals(4, toProvider, "retrieve, input items, cancel and delete of the creator; none of the bystander's four");

            for (String[] bad : new String[][] {{"GET", "/v1/responses/not-a-response-id"}, {"GET", "/v1/responses/resp_unknown1"},
                    {"DELETE", "/v1/responses/resp_" + "x".repeat(121)}}) {
                var r = gw.send(gw.request(bad[1]).header("Authorization", "Bearer " + mine).method(bad[0], HttpRequest.BodyPublishers.noBody()));
                assertEquals(404, r.statusCode(), bad[1] + " " + r.body());
                assertEquals("not_found", TestGateway.json(r.body()).at("/error/code").asText());
            }
            assertEquals(0, gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE tenant_id = 'bystander'"),
                    "the bystander's calls were refused before anything was reserved");
        }
    }
}
