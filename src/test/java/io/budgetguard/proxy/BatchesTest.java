package io.budgetguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.testing.FakeOpenAI;
import io.budgetguard.testing.GatewayProcess;
import io.budgetguard.testing.RedisServer;
import io.budgetguard.testing.TestGateway;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.DriverManager;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Files and batches under the cap: a tenant reaches only its own files and batches (the gateway's mapping, never the
 * ids it is shown); a batch is reserved at every line's worst case at the batch price when it is created, holds that
 * for its lifetime, and is settled once, from its output file's usage, by the worker that sees it finish, also when
 * that is a worker started after the one that was running died.
 */
class BatchesTest {
    /** Three lines of gpt-4o-mini at 1,000 prompt and 500 output tokens each ($0.15 and $0.60 per million), half price. */
    static final BigDecimal SETTLED_USD = new BigDecimal("0.000675");

    @Test
    void theOfficialPythonSdkRunsABatchHeldAtItsWorstCaseAndSettledWhenItFinishes() throws Exception {
        try (FakeOpenAI upstream = new FakeOpenAI(); TestGateway gw = TestGateway.start(upstream, Map.of("WORKER_PERIOD_MS", "100", "HELD_POLL_MS", "100"),
                java.time.Clock.systemUTC())) {
            gw.admin("POST", "/admin/tenant", "{\"id\":\"lab\",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":10}]}");
            gw.admin("POST", "/admin/tenant", "{\"id\":\"other\",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":10}]}");
            gw.admin("POST", "/admin/tenant", "{\"id\":\"broke\",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":0.0005}]}");
            String labKey = gw.newKey("lab"), otherKey = gw.newKey("other");
            String batch = SdkCompatibilityTest.python("batch_compat.py", Map.of("BASE_URL", gw.url("/v1"), "KEY", labKey,
                    "KEY_OTHER", otherKey, "KEY_BROKE", gw.newKey("broke"))).path("batch").asText();
            gw.awaitWorkerPasses("batch_settlement", 3);
            assertEquals(0, gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE endpoint = '/v1/batches'"), "held, not settled");
            BigDecimal reserved = reservedUsd(gw, "lab");
            assertTrue(reserved.compareTo(SETTLED_USD) > 0, "the worst case is held while the batch runs: " + reserved);
            upstream.finishBatches();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE endpoint = '/v1/batches'") == 0) {
                assertTrue(System.nanoTime() < deadline, "the finished batch " + batch + " was never settled");
                Thread.sleep(50);
            }
            gw.awaitWorkerPasses("batch_settlement", 3);
            assertEquals("0.000675 x1", ImagesTest.cost(gw, "endpoint = '/v1/batches' AND tenant_id = 'lab'"), "once, from its usage");
            assertEquals(0, reservedUsd(gw, "lab").signum(), "nothing held once settled");
            var done = TestGateway.json(gw.send(gw.request("/v1/batches/" + batch).header("Authorization", "Bearer " + labKey).GET()).body());
            assertEquals("completed", done.path("status").asText());
            String results = "/v1/files/" + done.path("output_file_id").asText() + "/content";
            var mine = gw.send(gw.request(results).header("Authorization", "Bearer " + labKey).GET());
            assertEquals(200, mine.statusCode(), "the batch's tenant reads its results: " + mine.body());
            assertEquals(3, mine.body().lines().count());
            assertEquals(404, gw.send(gw.request(results).header("Authorization", "Bearer " + otherKey).GET()).statusCode());
            assertEquals("0 x0", ImagesTest.cost(gw, "endpoint = '/v1/batches' AND tenant_id <> 'lab'"));
            assertEquals(0, upstream.received().stream().filter(r -> r.method().equals("GET") && r.path().equals("/v1/files")).count(),
                    "the provider's list of every tenant's files is never asked for");
        }
    }

    @Test
    void aBatchIsSettledOnceByTheWorkerStartedAfterTheOneThatDied() throws Exception {
        try (FakeOpenAI upstream = new FakeOpenAI(); RedisServer redis = RedisServer.start()) {
            Map<String, String> env = new HashMap<>(TestGateway.productionStores(redis));
            env.put("OPENAI_BASE_URL", upstream.baseUrl());
            env.put("OPENAI_KEY", "sk-upstream-test");
            env.put("ADMIN_API_KEY", "admin-key-for-batches-test");
            env.put("HELD_POLL_MS", "100");
            try (GatewayProcess serve = GatewayProcess.start("serve", env); GatewayProcess doomed = GatewayProcess.start("worker", env)) {
                HttpClient http = HttpClient.newHttpClient();
                String key = tenantKey(http, serve, "admin-key-for-batches-test");
                String file = TestGateway.json(http.send(HttpRequest.newBuilder(URI.create(serve.baseUrl() + "/v1/files"))
                        .header("Authorization", "Bearer " + key).header("Content-Type", "multipart/form-data; boundary=" + UploadsTest.BOUNDARY)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(UploadsTest.form(UploadsTest.field("purpose", "batch"),
                                UploadsTest.file("file", "in.jsonl", input().getBytes(StandardCharsets.UTF_8))))).build(),
                        HttpResponse.BodyHandlers.ofString()).body()).path("id").asText();
                HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(serve.baseUrl() + "/v1/batches"))
                        .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"input_file_id\":\"" + file
                                + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, created.statusCode(), created.body());
                doomed.kill();
                upstream.finishBatches();
                try (GatewayProcess survivor = GatewayProcess.start("worker", env)) {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (batchRows(env) == 0) {
                        assertTrue(System.nanoTime() < deadline, () -> "the batch was never settled after the restart: " + tail(survivor) + "\nserve: " + tail(serve));
                        Thread.sleep(100);
                    }
                    Thread.sleep(1_000); // several more passes of the survivor: none may settle it again
                    assertEquals(1, batchRows(env));
                }
            }
        }
    }

    private static String tail(GatewayProcess p) {
        try {
            return String.join("\n", p.logTail());
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private static String input() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            b.append("{\"custom_id\":\"r").append(i).append("\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":")
                    .append("{\"model\":\"gpt-4o-mini\",\"max_tokens\":1000,\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}}\n");
        }
        return b.toString();
    }

    private static long batchRows(Map<String, String> env) throws Exception {
        io.budgetguard.store.DatabaseUrl url = io.budgetguard.store.DatabaseUrl.parse(env.get("DATABASE_URL"));
        try (var c = DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
             var st = c.createStatement();
             var rs = st.executeQuery("SELECT COUNT(*), COALESCE(SUM(cost_usd), 0) FROM usage_ledger WHERE endpoint = '/v1/batches'")) {
            rs.next();
            if (rs.getLong(1) > 0) assertEquals(0, SETTLED_USD.compareTo(rs.getBigDecimal(2)), "at its usage: " + rs.getBigDecimal(2));
            return rs.getLong(1);
        }
    }

    private static String tenantKey(HttpClient http, GatewayProcess serve, String adminKey) throws Exception {
        http.send(HttpRequest.newBuilder(URI.create(serve.baseUrl() + "/admin/tenant")).header("X-Admin-Key", adminKey)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"id\":\"lab\",\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":10}]}")).build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> k = http.send(HttpRequest.newBuilder(URI.create(serve.baseUrl() + "/admin/tenant/lab/apikeys"))
                .header("X-Admin-Key", adminKey).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"batch\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, k.statusCode(), k.body());
        return TestGateway.json(k.body()).path("key").asText();
    }

    private static BigDecimal reservedUsd(TestGateway gw, String tenant) throws Exception {
        var info = TestGateway.json(gw.admin("GET", "/admin/tenant/" + tenant, null).body());
        return new BigDecimal(info.path("budgets").get(0).path("reserved_usd").asText());
    }
}
