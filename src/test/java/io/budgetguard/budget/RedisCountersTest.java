package io.budgetguard.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.budgetguard.config.SettingsLoader;
import io.budgetguard.ledger.Ledger;
import io.budgetguard.store.StoreUnavailableException;
import io.budgetguard.testing.RedisServer;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The shared contract, plus what only Redis can do, against a real redis-server on loopback. */
class RedisCountersTest extends SpendCountersContract {
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
    SpendCounters create(Ledger ledger) throws Exception {
        // Window keys expire at (window end + grace) by Redis's own clock; the tests' clock is fixed in the past,
        // so the grace is long enough that no test window has expired in real time.
        return RedisCounters.connect(SettingsLoader.fromMap(Map.of("REDIS_URL", redis.url())), ledger, 90L * 86_400_000);
    }

    @Override
    SpendCounters restart(Ledger ledger) throws Exception {
        redis.command("FLUSHALL");
        return counters;
    }

    @Test
    void scriptsAreReloadedWhenRedisForgetsThem() throws Exception {
        admit(100, T0, MONTHLY_1000);
        assertEquals("+OK", redis.command("SCRIPT", "FLUSH"));
        assertInstanceOf(Admission.Admitted.class, admit(100, T0, MONTHLY_1000));
        assertEquals(200, usage(T0, MONTHLY_1000).reservedMicroUsd());
    }

    @Test
    void aSettleWhoseReservationRedisLostIsStillCounted() throws Exception {
        Reservation r = ((Admission.Admitted) admit(600, T0, MONTHLY_1000)).reservation();
        redis.command("DEL", "bg:{" + tenant + "}:res");
        assertEquals(SpendCounters.SettleResult.RECOUNTED, counters.settle(r, 250, T0));
        assertEquals(SpendCounters.SettleResult.ALREADY, counters.settle(r, 250, T0));
        assertEquals(250, usage(T0, MONTHLY_1000).spentMicroUsd());
    }

    @Test
    void everyKeyOfATenantSharesOneClusterSlot() throws Exception {
        admit(100, T0, MONTHLY_1000, new Budget(BudgetPeriod.parse("rolling:7d"), 1_000));
        String keys = redis.command("KEYS", "bg:{" + tenant + "}:*");
        assertEquals(5, keys.split("\\$").length - 1, "rate, reservations, deadlines and two windows share the tag: " + keys);
    }

    @Test
    void anUnreachableRedisIsStoreUnavailable() throws Exception {
        try (SpendCounters dead = RedisCounters.connect(SettingsLoader.fromMap(Map.of("REDIS_URL", "redis://127.0.0.1:1",
                "REDIS_TIMEOUT_MS", "200")), ledger, 1_000)) {
            assertThrows(StoreUnavailableException.class, () -> dead.admit(res(1, T0, MONTHLY_1000), 10, T0));
        }
    }
}
