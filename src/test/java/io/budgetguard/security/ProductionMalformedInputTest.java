package io.budgetguard.security;

import io.budgetguard.testing.RedisServer;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;

/** The malformed-input contract in production shape: Redis counters and ledger stream, Postgres. */
class ProductionMalformedInputTest extends MalformedInputContract {
    RedisServer redis;

    @Override
    Map<String, String> storeEnv() {
        try {
            redis = RedisServer.start();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return io.budgetguard.testing.TestGateway.productionStores(redis);
    }

    @AfterAll
    void stopRedis() throws Exception {
        redis.close();
    }
}
