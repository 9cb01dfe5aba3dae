package io.budgetguard.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.budgetguard.testing.GatewayProcess;
import io.budgetguard.testing.RedisServer;
import io.budgetguard.testing.TestGateway;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RedisBudgetEnforcementTest extends BudgetEnforcementContract {
    static RedisServer redis;

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() throws Exception {
        redis.close();
    }

    @Override
    Map<String, String> env() {
        return Map.of("REDIS_URL", redis.url(), "WORKER_PERIOD_MS", "100");
    }

    @Test
    void theRaceHoldsAcrossTwoGatewayProcessesSharingOneRedis() throws Exception {
        long est = estimateMicroUsd();
        long limit = 15 * est + est / 2;
        String key = tenantWithBudget("two-procs", limit, 100_000);
        upstream.completionAtMaxTokens();
        try (GatewayProcess other = GatewayProcess.start(Map.of("REDIS_URL", redis.url(),
                "BUDGETGUARD_DATA_DIR", gw.dataDir().toString(), "OPENAI_BASE_URL", upstream.baseUrl(),
                "OPENAI_KEY", TestGateway.UPSTREAM_KEY, "ADMIN_API_KEY", TestGateway.ADMIN_KEY))) {
            List<HttpResponse<String>> all = race(List.of(gw.url(""), other.baseUrl()), key, 200);
            assertRaceOutcome(all, limit, "two-procs");
        }
    }

    @Test
    void aGatewayKilledMidStreamHasItsReservationSettledAtTheEstimateByAnotherProcess() throws Exception {
        String key = tenantWithBudget("killed", 10_000_000, 100);
        var gate = upstream.gateStreams();
        GatewayProcess doomed = GatewayProcess.start(Map.of("REDIS_URL", redis.url(), "RESERVATION_TIMEOUT_S", "10",
                "BUDGETGUARD_DATA_DIR", gw.dataDir().toString(), "OPENAI_BASE_URL", upstream.baseUrl(),
                "OPENAI_KEY", TestGateway.UPSTREAM_KEY, "ADMIN_API_KEY", TestGateway.ADMIN_KEY));
        try {
            java.net.http.HttpClient.newHttpClient().sendAsync(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(doomed.baseUrl() + "/v1/chat/completions")).header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + key).POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                            BODY.replace("\"max_tokens\":100", "\"max_tokens\":100,\"stream\":true"))).build(),
                    HttpResponse.BodyHandlers.discarding());
            for (int i = 0; i < 200 && upstream.calls() == 0; i++) Thread.sleep(50);
            assertEquals(1, upstream.calls(), "the request is mid-stream upstream");
            assertEquals(estimateMicroUsd(), micros(monthly("killed").get("reserved_usd")));
            doomed.kill();
        } finally {
            gate.countDown();
            doomed.close();
        }
        long expired = 0;
        for (int i = 0; i < 300 && expired == 0; i++) {
            expired = gw.sqlLong("SELECT COUNT(*) FROM usage_ledger WHERE tenant_id = 'killed' AND status = 'expired'");
            if (expired == 0) Thread.sleep(100);
        }
        assertEquals(1, expired, "one expired row once the reservation timed out");
        assertEquals(0, micros(monthly("killed").get("reserved_usd")));
        assertEquals(estimateMicroUsd(), micros(monthly("killed").get("spent_usd")), "settled at the estimate");
    }

    @Test
    void redisRestartedEmptyNeitherForgetsSpendNorRefusesRequestsThatFit() throws Exception {
        long est = estimateMicroUsd();
        String key = tenantWithBudget("amnesia", 3 * est, 100);
        upstream.completionAtMaxTokens();
        assertEquals(200, gw.postJson("/v1/chat/completions", key, BODY).statusCode());
        long spent = micros(monthly("amnesia").get("spent_usd"));
        awaitLedgerRows("amnesia", 1); // events still in a wiped Redis without AOF would be lost: production runs AOF
        redis.command("FLUSHALL");
        assertEquals(spent, micros(monthly("amnesia").get("spent_usd")), "rebuilt from the ledger");
        assertEquals(200, gw.postJson("/v1/chat/completions", key, BODY).statusCode());
        assertEquals(200, gw.postJson("/v1/chat/completions", key, BODY).statusCode());
        assertEquals(402, gw.postJson("/v1/chat/completions", key, BODY).statusCode());
    }
}
