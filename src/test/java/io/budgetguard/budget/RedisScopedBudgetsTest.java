package io.budgetguard.budget;

import io.budgetguard.testing.RedisServer;
import io.budgetguard.testing.TestGateway;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

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
}
