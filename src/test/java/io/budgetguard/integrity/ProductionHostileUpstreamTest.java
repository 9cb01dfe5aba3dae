package io.budgetguard.integrity;

import io.budgetguard.testing.RedisServer;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The hostile-upstream contract in production shape: Redis counters and ledger stream, Postgres ledger. */
class ProductionHostileUpstreamTest extends HostileUpstreamContract {
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
    Map<String, String> storeEnv() {
        return io.budgetguard.testing.TestGateway.productionStores(redis);
    }
}
