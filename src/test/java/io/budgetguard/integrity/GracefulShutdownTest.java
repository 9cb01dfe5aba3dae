package io.budgetguard.integrity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.GatewayProcess;
import io.budgetguard.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * A deploy stops the gateway with SIGTERM while streams run: it stops accepting, lets them finish within
 * SHUTDOWN_GRACE_S, bills each at its actual usage (not its estimate), and loses no ledger row.
 */
class GracefulShutdownTest {
    static final int STREAMS = 8;
    static final String STREAM = "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"max_tokens\":500,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @Test
    void sigtermUnderStreamingLoadLetsStreamsFinishAndBillsThemAtTheirUsage() throws Exception {
        Path data = Files.createTempDirectory("shutdown");
        String key;
        try (FakeOpenAI upstream = new FakeOpenAI()) {
            TestGateway setup = TestGateway.start(upstream, Map.of("BUDGETGUARD_DATA_DIR", data.toString()), Clock.systemUTC());
            key = setup.createTenantWithKey("deployed");
            setup.closeKeepingData();

            CountDownLatch gate = upstream.gateStreams();
            GatewayProcess gw = GatewayProcess.start("all", Map.of("BUDGETGUARD_DATA_DIR", data.toString(),
                    "OPENAI_BASE_URL", upstream.baseUrl(), "OPENAI_KEY", TestGateway.UPSTREAM_KEY,
                    "ADMIN_API_KEY", TestGateway.ADMIN_KEY, "SHUTDOWN_GRACE_S", "20"));
            HttpClient client = HttpClient.newHttpClient();
            List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
            for (int i = 0; i < STREAMS; i++) {
                streams.add(client.sendAsync(HttpRequest.newBuilder(URI.create(gw.baseUrl() + "/v1/chat/completions"))
                        .header("Content-Type", "application/json").header("Authorization", "Bearer " + key)
                        .POST(HttpRequest.BodyPublishers.ofString(STREAM)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            for (int i = 0; i < 400 && upstream.calls() < STREAMS; i++) Thread.sleep(25);
            assertEquals(STREAMS, upstream.calls(), "every stream reached the upstream and waits there");

            gw.terminate();
            awaitRefusingConnections(gw.baseUrl());
            gate.countDown(); // the upstream finishes its streams during the grace period
            assertTrue(gw.awaitExit(30), "the gateway exits once its streams are done");
            for (CompletableFuture<HttpResponse<String>> s : streams) {
                HttpResponse<String> r = s.get();
                assertEquals(200, r.statusCode());
                assertTrue(r.body().contains("data: [DONE]"), "the stream completed: " + r.body());
            }
        }
        try (FakeOpenAI upstream = new FakeOpenAI();
             TestGateway after = TestGateway.start(upstream, Map.of("BUDGETGUARD_DATA_DIR", data.toString()), Clock.systemUTC())) {
            assertEquals(STREAMS, after.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE tenant_id = 'deployed'"), "no row lost");
            assertEquals(STREAMS, after.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE tenant_id = 'deployed' AND status = 'ok' "
                    + "AND completion_tokens > 0 AND cost_usd < estimated_cost_usd"), "each billed at its usage, not its estimate");
            assertEquals(0, after.sqlLong("SELECT COUNT(*) FROM reservations"), "nothing left reserved");
        }
    }

    /** Polls until the stopping gateway no longer takes new connections (its listener is closed). */
    private static void awaitRefusingConnections(String baseUrl) throws InterruptedException {
        URI u = URI.create(baseUrl);
        for (int i = 0; i < 400; i++) {
            try (java.net.Socket s = new java.net.Socket(u.getHost(), u.getPort())) {
                Thread.sleep(25);
            } catch (java.io.IOException refused) {
                return;
            }
        }
        throw new AssertionError("the gateway kept accepting connections after SIGTERM");
    }
}
