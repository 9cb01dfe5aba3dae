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
import io.budgetguard.store.Database;
import io.budgetguard.tenant.Tenant;
import io.budgetguard.tenant.TenantStore;
import io.budgetguard.testing.RedisServer;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The worker's drain of the Redis ledger streams into the database, against a real Redis and H2. */
class LedgerDrainTest {
    RedisServer redis;
    Database db;
    Ledger ledger;
    RedisCounters counters;
    TenantStore tenants;

    @BeforeEach
    void open() throws Exception {
        redis = RedisServer.start();
        db = Database.embedded(Files.createTempDirectory("drain"));
        db.migrate();
        ledger = new Ledger(db, false);
        tenants = new TenantStore(db);
        counters = new RedisCounters(io.budgetguard.budget.RedisStore.connect(redis.url(), 16, 2_000), ledger, 3_600_000);
    }

    @AfterEach
    void close() throws Exception {
        counters.close();
        db.close();
        redis.close();
    }

    void settle(String tenant, int n) {
        long now = System.currentTimeMillis();
        for (int i = 0; i < n; i++) {
            Reservation r = new Reservation("req_" + tenant + "_" + i, tenant, "key_1", "/v1/chat/completions", "openai", "gpt-4o", 1_000,
                    now, now + 900_000, List.of(WindowRef.of(new Budget(BudgetPeriod.MONTHLY, 1_000_000_000), now)));
            assertTrue(counters.admit(r, 1_000_000, now) instanceof Admission.Admitted);
            UsageEvent e = new UsageEvent(r.id(), tenant, "key_1", r.endpoint(), "openai", r.model(), UsageEvent.Status.OK, 10, 0, 0, 5,
                    1_000, 700, 200, Instant.ofEpochMilli(now), Instant.ofEpochMilli(now + 5));
            assertEquals(SpendCounters.SettleResult.SETTLED, counters.settle(r, 700, now, e));
        }
    }

    long rows(String tenant) {
        return ledger.report(tenant, LocalDate.now().minusDays(1), LocalDate.now().plusDays(1), "model").total().requests();
    }

    @Test
    void aTenantWithMoreEventsThanOnePassTakesIsDrainedInOneRun() {
        tenants.create(new Tenant("busy", "busy", 1_000, Instant.now(), List.of()));
        tenants.create(new Tenant("quiet", "quiet", 1_000, Instant.now(), List.of()));
        settle("busy", 95); // one pass takes 2 batches of 10
        settle("quiet", 3);
        LedgerDrain drain = new LedgerDrain(new io.budgetguard.ledger.RedisLedgerStream(counters.store()), sweep(counters), ledger, Clock.systemUTC(), 30_000, 10, 2);
        assertEquals(98, drain.runUntilCaughtUp());
        assertEquals(95, rows("busy"));
        assertEquals(3, rows("quiet"));
        assertEquals(0, drain.runUntilCaughtUp(), "nothing left, nothing written twice");
        assertEquals(0, drain.pendingEvents());
    }

    @Test
    void onePassMovesAtMostItsBoundPerTenant() {
        tenants.create(new Tenant("busy", "busy", 1_000, Instant.now(), List.of()));
        settle("busy", 45);
        LedgerDrain drain = new LedgerDrain(new io.budgetguard.ledger.RedisLedgerStream(counters.store()), sweep(counters), ledger, Clock.systemUTC(), 30_000, 10, 2);
        assertEquals(20, drain.runOnce());
        assertEquals(25, drain.pendingEvents());
    }

    /** Which tenants a drain visits: those with recent activity (every tenant on its first pass). */
    private io.budgetguard.budget.TenantSweep sweep(io.budgetguard.budget.SpendCounters c) {
        return new io.budgetguard.budget.TenantSweep("ledger_drain", c, each -> tenants.forEachId(1_000, each), 3_600_000,
                Clock.systemUTC());
    }
}
