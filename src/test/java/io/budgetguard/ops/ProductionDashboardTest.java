package io.budgetguard.ops;

import io.budgetguard.testing.RedisServer;
import io.budgetguard.testing.TestGateway;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;

/** The dashboard on production's stores: Redis counters, the ledger in Postgres through the worker's drain. */
class ProductionDashboardTest extends DashboardContract {
    private RedisServer redis;

    @Override
    String variant() {
        return "production";
    }

    @Override
    Map<String, String> env() throws Exception {
        redis = RedisServer.start();
        return TestGateway.productionStores(redis);
    }

    @Override
    @AfterAll
    void stop() {
        super.stop();
        try {
            redis.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
