package io.budgetguard.budget;

import io.budgetguard.testing.RedisServer;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;

/** The mid-flight window contract in production shape: Redis counters, Postgres ledger. */
class ProductionWindowAddedMidFlightTest extends WindowAddedMidFlightContract {
    RedisServer redis;

    @Override
    Map<String, String> storeEnv() throws Exception {
        redis = RedisServer.start();
        return io.budgetguard.testing.TestGateway.productionStores(redis);
    }

    @AfterEach
    void stopRedis() throws Exception {
        if (redis != null) redis.close();
    }
}
