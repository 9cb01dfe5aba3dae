package io.budgetguard.providers;

import io.budgetguard.testing.RedisServer;
import io.budgetguard.testing.TestGateway;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The providers on the production stores: counters and ledger stream in Redis, the ledger in Postgres. */
class RedisProvidersTest extends ProvidersContract {
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
