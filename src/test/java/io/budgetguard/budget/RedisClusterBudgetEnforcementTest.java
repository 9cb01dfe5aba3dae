package io.budgetguard.budget;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.testing.GatewayProcess;
import io.budgetguard.testing.RedisCluster;
import io.budgetguard.testing.TestGateway;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The same contract on a three-node Redis Cluster: every key of a tenant hash-tagged into one slot. */
class RedisClusterBudgetEnforcementTest extends BudgetEnforcementContract {
    static RedisCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = RedisCluster.start();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        cluster.close();
    }

    @Override
    Map<String, String> env() {
        return Map.of("REDIS_URL", cluster.url(), "WORKER_PERIOD_MS", "100");
    }

    @Test
    void theRaceHoldsAcrossTwoGatewaysOnARedisClusterAndTenantsSpreadOverNodes() throws Exception {
        for (int i = 0; i < 12; i++) {
            String k = tenantWithBudget("spread-" + i, 10_000_000, 100);
            gw.postJson("/v1/chat/completions", k, BODY);
        }
        long populated = cluster.keysPerNode().stream().filter(n -> n > 0).count();
        assertTrue(populated >= 2, "tenants land on several masters: " + cluster.keysPerNode());
        long est = estimateMicroUsd();
        long limit = 15 * est + est / 2;
        String key = tenantWithBudget("cluster-race", limit, 100_000);
        upstream.reset(); // count only the race's upstream calls
        upstream.completionAtMaxTokens();
        try (GatewayProcess other = GatewayProcess.start(Map.of("REDIS_URL", cluster.url(),
                "BUDGETGUARD_DATA_DIR", gw.dataDir().toString(), "OPENAI_BASE_URL", upstream.baseUrl(),
                "OPENAI_KEY", TestGateway.UPSTREAM_KEY, "ADMIN_API_KEY", TestGateway.ADMIN_KEY))) {
            List<HttpResponse<String>> all = race(List.of(gw.url(""), other.baseUrl()), key, 200);
            assertRaceOutcome(all, limit, "cluster-race");
        }
    }
}
