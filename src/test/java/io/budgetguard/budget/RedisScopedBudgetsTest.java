package io.budgetguard.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.budgetguard.testing.GatewayProcess;
import io.budgetguard.testing.RedisServer;
import io.budgetguard.testing.TestGateway;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Scoped budgets on Redis with the ledger in Postgres: windows rebuilt by init.lua count only their scope. */
class RedisScopedBudgetsTest extends ScopedBudgetsContract {
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
        return TestGateway.productionStores(redis);
    }

    @Test
    void twoGatewayProcessesRaceAKeyCapAUserCapAndAGroupCapAndNoneIsPassed() throws Exception {
        upstream.completionAtMaxTokens();
        tenant("two", "0.05");
        String a = gw.newKey("two");
        String b = gw.newKey("two");
        String aId = keyId("two", a);
        assertEquals(200, gw.admin("POST", "/admin/tenant/two/apikeys/" + aId + "/budgets",
                "{\"budgets\":[{\"period\":\"daily\",\"limit_usd\":0.0004}]}").statusCode());
        assertEquals(200, gw.admin("POST", "/admin/tenant/two/model-groups/mini",
                "{\"models\":[\"gpt-4o-mini\"],\"budgets\":[{\"period\":\"monthly\",\"limit_usd\":0.0008}]}").statusCode());
        Map<String, String> env = new java.util.HashMap<>(stores);
        env.put("BUDGETGUARD_DATA_DIR", gw.dataDir().toString());
        env.put("OPENAI_BASE_URL", upstream.baseUrl());
        env.put("OPENAI_KEY", TestGateway.UPSTREAM_KEY);
        env.put("ADMIN_API_KEY", TestGateway.ADMIN_KEY);
        try (GatewayProcess other = GatewayProcess.start(env)) {
            List<HttpResponse<String>> all = race(List.of(gw.url(""), other.baseUrl()), List.of(a, b),
                    List.of("gpt-4o-mini", "gpt-4o-mini-2024-07-18", "gpt-4o"), 120);
            long ok = all.stream().filter(r -> r.statusCode() == 200).count();
            assertEquals(120, ok + all.stream().filter(r -> r.statusCode() == 402).count());
            ledgerSpend("tenant_id = 'two'", ok);
            long keySpend = ledgerSpend("api_key_id = '" + aId + "'", 1);
            long groupSpend = ledgerSpend("tenant_id = 'two' AND model LIKE 'gpt-4o-mini%'", 1);
            long tenantSpend = ledgerSpend("tenant_id = 'two'", ok);
            assertTrue(keySpend <= 400, "key " + keySpend + " of 400");
            assertTrue(groupSpend <= 800, "group " + groupSpend + " of 800");
            assertTrue(tenantSpend <= 50_000, "tenant " + tenantSpend + " of 50,000");
            JsonNode v = view("two");
            assertEquals(0, micros(v.at("/budgets/0/reserved_usd")));
            assertEquals(0, micros(v.at("/model_groups/0/budgets/0/reserved_usd")));
            assertEquals(groupSpend, micros(v.at("/model_groups/0/budgets/0/spent_usd")), "the group's counter equals its rows");
        }
    }
}
