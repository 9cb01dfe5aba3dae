package io.budgetguard.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.budget.Admission;
import io.budgetguard.core.Budget;
import io.budgetguard.core.BudgetPeriod;
import io.budgetguard.budget.RedisCounters;
import io.budgetguard.core.Reservation;
import io.budgetguard.budget.SpendCounters;
import io.budgetguard.core.WindowRef;
import io.budgetguard.ledger.Ledger;
import io.budgetguard.core.UsageEvent;
import io.budgetguard.core.UsageEventJson;
import io.budgetguard.store.Database;
import io.budgetguard.store.DatabaseUrl;
import io.budgetguard.tenant.Tenant;
import io.budgetguard.tenant.TenantStore;
import io.budgetguard.testing.PostgresDb;
import io.budgetguard.testing.RedisServer;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The production drain on the bad day, against a real Redis and Postgres: a lost consumer group, a flushed Redis,
 * a worker started while Redis is down, a poisoned entry, one tenant's broken stream. Every settled event lands in
 * the ledger exactly once, and the drain goes on.
 */
class LedgerDrainHealingTest {
    RedisServer redis;
    Database db;
    Ledger ledger;
    RedisCounters counters;
    io.budgetguard.ledger.RedisLedgerStream stream;
    TenantStore tenants;
    LedgerDrain drain;
    int sequence;

    @BeforeEach
    void open() throws Exception {
        redis = RedisServer.start();
        db = Database.postgres(DatabaseUrl.parse(PostgresDb.create()), 4, 5_000);
        db.migrate();
        db.ensureLedgerPartitions(Instant.now());
        ledger = new Ledger(db, true);
        tenants = new TenantStore(db);
        tenants.create(new Tenant("a", "a", 1_000_000, Instant.now(), List.of()));
        tenants.create(new Tenant("b", "b", 1_000_000, Instant.now(), List.of()));
        counters = new RedisCounters(io.budgetguard.budget.RedisStore.connect(redis.url(), 16, 2_000), ledger, 3_600_000);
        stream = new io.budgetguard.ledger.RedisLedgerStream(counters.store());
        drain = new LedgerDrain(stream, sweep(counters), ledger, Clock.systemUTC(), 30_000);
    }

    @AfterEach
    void close() throws Exception {
        counters.close();
        db.close();
        redis.close();
    }

    @Test
    void aConsumerGroupLostMidRunIsRecreatedAndNothingIsLostOrDoubled() throws Exception {
        settle("a", 5);
        assertEquals(5, drain.runUntilCaughtUp());
        assertEquals(":1", redis.command("XGROUP", "DESTROY", stream("a"), "ledger"));
        settle("a", 5);
        drain.runUntilCaughtUp();
        assertEquals(10, rows("a"));
        assertEquals(1, stream.health()[0], "the recreation is counted");
        assertEquals(0, drain.pendingEvents());
    }

    @Test
    void aSecondWorkerJoinsTheGroupTheFirstCreated() throws Exception {
        settle("a", 3);
        assertEquals(3, drain.runUntilCaughtUp());
        try (RedisCounters other = new RedisCounters(io.budgetguard.budget.RedisStore.connect(redis.url(), 16, 2_000), ledger, 3_600_000)) {
            LedgerDrain second = new LedgerDrain(new io.budgetguard.ledger.RedisLedgerStream(other.store()), sweep(other), ledger, Clock.systemUTC(), 30_000);
            settle("a", 3);
            assertEquals(3, second.runUntilCaughtUp(), "the group exists (BUSYGROUP) and the second worker drains through it");
            assertEquals(0, second.tenantFailures());
        }
        assertEquals(6, rows("a"));
    }

    @Test
    void aFlushedRedisIsDrainedAgain() throws Exception {
        settle("a", 4);
        settle("b", 4);
        drain.runUntilCaughtUp();
        assertEquals("+OK", redis.command("FLUSHALL"));
        settle("a", 3);
        settle("b", 3);
        drain.runUntilCaughtUp();
        assertEquals(7, rows("a"));
        assertEquals(7, rows("b"));
    }

    @Test
    void aWorkerThatStartedWhileRedisWasDownDrainsOnceItIsBack() throws Exception {
        redis.kill();
        assertEquals(0, drain.runOnce(), "no Redis: nothing moved, nothing thrown");
        redis.startAgain();
        settle("a", 5);
        settle("b", 2);
        drain.runUntilCaughtUp();
        assertEquals(5, rows("a"));
        assertEquals(2, rows("b"));
    }

    @Test
    void aPoisonedEntryIsParkedAndItsNeighboursLand() throws Exception {
        settle("a", 2);
        // A model name Postgres cannot store (NUL) and an entry that is not an event at all.
        UsageEvent poisoned = event("a", "req_poison", "gpt-4o-mini\u0000");
        redis.command("XADD", stream("a"), "*", "e", UsageEventJson.write(poisoned));
        redis.command("XADD", stream("a"), "*", "e", "not json");
        settle("a", 2);
        drain.runUntilCaughtUp();
        assertEquals(4, rows("a"), "the ordinary calls around the poisoned entries landed");
        assertEquals(2, stream.health()[1], "both were dead-lettered");
        assertEquals(":2", redis.command("XLEN", "bg:{a}:ledger:dead"), "kept, with why, in the dead-letter stream");
        assertEquals(0, drain.pendingEvents(), "nothing is retried forever");
        assertEquals(0, drain.runUntilCaughtUp());
    }

    @Test
    void oneTenantsBrokenStreamDoesNotStopThePass() throws Exception {
        // Tenant a's stream key holds a string: every stream command on it fails.
        redis.command("SET", stream("a"), "not a stream");
        settle("b", 3);
        drain.runUntilCaughtUp();
        assertEquals(3, rows("b"), "the tenant after the broken one is drained");
        assertTrue(drain.tenantFailures() >= 1);
    }

    private static String stream(String tenant) {
        return "bg:{" + tenant + "}:ledger";
    }

    private UsageEvent event(String tenant, String id, String model) {
        long now = System.currentTimeMillis();
        return new UsageEvent(id, tenant, "key_1", "/v1/chat/completions", "openai", model, UsageEvent.Status.OK, 10, 0, 0, 5,
                1_000, 700, 200, Instant.ofEpochMilli(now), Instant.ofEpochMilli(now + 5));
    }

    private void settle(String tenant, int n) {
        long now = System.currentTimeMillis();
        for (int i = 0; i < n; i++) {
            String id = "req_" + tenant + "_" + (sequence++);
            Reservation r = new Reservation(id, tenant, "key_1", "/v1/chat/completions", "openai", "gpt-4o", 1_000,
                    now, now + 900_000, List.of(WindowRef.of(new Budget(BudgetPeriod.MONTHLY, 1_000_000_000), now)));
            assertTrue(counters.admit(r, 1_000_000, now) instanceof Admission.Admitted);
            assertEquals(SpendCounters.SettleResult.SETTLED, counters.settle(r, 700, now, event(tenant, id, "gpt-4o")));
        }
    }

    private long rows(String tenant) throws Exception {
        try (var c = db.connection(); var ps = c.prepareStatement("SELECT COUNT(*) FROM usage_ledger WHERE tenant_id = ?")) {
            ps.setString(1, tenant);
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Which tenants a drain visits: those with recent activity (every tenant on its first pass). */
    private io.budgetguard.budget.TenantSweep sweep(io.budgetguard.budget.SpendCounters c) {
        return new io.budgetguard.budget.TenantSweep("ledger_drain", c, each -> tenants.forEachId(1_000, each), 3_600_000,
                Clock.systemUTC());
    }
}
