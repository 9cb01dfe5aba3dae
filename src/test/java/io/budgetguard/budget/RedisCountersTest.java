package io.budgetguard.budget;

import io.budgetguard.core.Budget;
import io.budgetguard.core.BudgetPeriod;
import io.budgetguard.core.Reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.budgetguard.ledger.Ledger;
import io.budgetguard.core.StoreUnavailableException;
import io.budgetguard.testing.RedisServer;
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
        return new RedisCounters(io.budgetguard.budget.RedisStore.connect(redis.url(), 16, 2_000), ledger, 90L * 86_400_000);
    }

    @Override
    SpendCounters restart(Ledger ledger) throws Exception {
        redis.command("FLUSHALL");
        return counters;
    }

    @Test
    void aWindowBuiltWhileTheDrainIsBehindCountsTheEventsStillInTheStream() throws Exception {
        // Two calls settled; no worker has drained them, so the ledger database has neither.
        for (long cost : new long[] {300, 450}) {
            Reservation r = ((Admission.Admitted) admit(500, T0, MONTHLY_1000)).reservation();
            io.budgetguard.core.UsageEvent e = new io.budgetguard.core.UsageEvent(r.id(), tenant, "key_1", r.endpoint(), "openai",
                    r.model(), io.budgetguard.core.UsageEvent.Status.OK, 10, 0, 0, 5, 500, cost, 200,
                    java.time.Instant.ofEpochMilli(T0), java.time.Instant.ofEpochMilli(T0 + 5));
            counters.settle(r, cost, T0, e);
        }
        // A daily cap and a rolling one are added now: built from the database (0) plus the undrained stream (750).
        assertEquals(750, usage(T0 + 1_000, new Budget(BudgetPeriod.DAILY, 1_000)).spentMicroUsd());
        assertEquals(750, usage(T0 + 1_000, new Budget(BudgetPeriod.parse("rolling:24h"), 1_000)).spentMicroUsd());
        // An event outside a window does not count in it.
        assertEquals(0, usage(T0 + 86_400_000L, new Budget(BudgetPeriod.DAILY, 1_000)).spentMicroUsd(), "the next day");
        assertInstanceOf(Admission.OverBudget.class, counters.admit(res(300, T0 + 2_000, new Budget(BudgetPeriod.DAILY, 1_000)),
                1_000_000, T0 + 2_000), "750 spent + 300 would pass the new $0.001 daily cap");
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
        try (SpendCounters dead = new RedisCounters(io.budgetguard.budget.RedisStore.connect("redis://127.0.0.1:1", 4, 200), ledger, 1_000)) {
            assertThrows(StoreUnavailableException.class, () -> dead.admit(res(1, T0, MONTHLY_1000), 10, T0));
        }
    }
}
