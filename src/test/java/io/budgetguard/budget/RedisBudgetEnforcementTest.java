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
        return Map.of("REDIS_URL", redis.url());
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
    void redisRestartedEmptyNeitherForgetsSpendNorRefusesRequestsThatFit() throws Exception {
        long est = estimateMicroUsd();
        String key = tenantWithBudget("amnesia", 3 * est, 100);
        upstream.completionAtMaxTokens();
        assertEquals(200, gw.postJson("/v1/chat/completions", key, BODY).statusCode());
        long spent = micros(monthly("amnesia").get("spent_usd"));
        redis.command("FLUSHALL");
        assertEquals(spent, micros(monthly("amnesia").get("spent_usd")), "rebuilt from the ledger");
        assertEquals(200, gw.postJson("/v1/chat/completions", key, BODY).statusCode());
        assertEquals(200, gw.postJson("/v1/chat/completions", key, BODY).statusCode());
        assertEquals(402, gw.postJson("/v1/chat/completions", key, BODY).statusCode());
    }
}
