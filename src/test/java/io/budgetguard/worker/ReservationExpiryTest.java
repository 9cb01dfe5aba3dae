package io.budgetguard.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.budgetguard.budget.Admission;
import io.budgetguard.core.Budget;
import io.budgetguard.core.BudgetPeriod;
import io.budgetguard.budget.EmbeddedCounters;
import io.budgetguard.core.Reservation;
import io.budgetguard.budget.SpendCounters;
import io.budgetguard.core.WindowRef;
import io.budgetguard.ledger.Ledger;
import io.budgetguard.store.Database;
import io.budgetguard.tenant.Tenant;
import io.budgetguard.tenant.TenantStore;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ReservationExpiryTest {
    static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");
    final AtomicReference<Instant> now = new AtomicReference<>(T0);
    final Clock clock = new Clock() {
        @Override public java.time.ZoneId getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(java.time.ZoneId zone) { return this; }
        @Override public Instant instant() { return now.get(); }
    };
    Database db;
    Ledger ledger;
    SpendCounters counters;
    ReservationExpiry expiry;
    Reservation r;

    @BeforeEach
    void setUp() throws Exception {
        db = Database.embedded(Files.createTempDirectory("expiry"));
        db.migrate();
        ledger = new Ledger(db, true);
        TenantStore tenants = new TenantStore(db);
        Budget monthly = new Budget(BudgetPeriod.MONTHLY, 1_000_000);
        tenants.create(new Tenant("acme", "Acme", 100, T0, List.of(monthly)));
        counters = new EmbeddedCounters(ledger, 3_600_000);
        expiry = new ReservationExpiry(counters, tenants,
                new io.budgetguard.budget.TenantSweep("reservation_expiry", counters, c -> tenants.forEachId(1_000, c), 3_600_000, clock), clock);
        r = new Reservation("req_stuck", "acme", "key_1", "/v1/chat/completions", "openai", "gpt-4o", 777, T0.toEpochMilli(),
                T0.toEpochMilli() + 900_000, List.of(WindowRef.of(monthly, T0.toEpochMilli())));
        assertEquals(Admission.Admitted.class, counters.admit(r, 100, T0.toEpochMilli()).getClass());
        ledger.journal(r);
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    @Test
    void aReservationIsLeftAloneBeforeItsDeadline() {
        now.set(T0.plusSeconds(899));
        assertEquals(0, expiry.runOnce());
    }

    @Test
    void anExpiredReservationIsSettledAtItsEstimateWithOneExpiredLedgerRow() throws Exception {
        now.set(T0.plusSeconds(900));
        assertEquals(1, expiry.runOnce());
        assertEquals(0, expiry.runOnce(), "settled once");
        assertEquals(777, ledger.spentMicroUsd("acme", io.budgetguard.core.WindowScope.TENANT, T0.minusSeconds(60).toEpochMilli(), T0.plusSeconds(3_600).toEpochMilli(), List.of()));
        try (var c = db.connection(); var st = c.createStatement();
             var rs = st.executeQuery("SELECT status, cost_usd FROM usage_ledger WHERE request_id = 'req_stuck'")) {
            rs.next();
            assertEquals("expired", rs.getString(1));
        }
        try (var c = db.connection(); var st = c.createStatement(); var rs = st.executeQuery("SELECT COUNT(*) FROM reservations")) {
            rs.next();
            assertEquals(0, rs.getInt(1));
        }
    }

    @Test
    void aLateSettleByTheOriginalGatewayChangesNothing() {
        now.set(T0.plusSeconds(900));
        expiry.runOnce();
        assertEquals(SpendCounters.SettleResult.ALREADY, counters.settle(r, 10, now.get().toEpochMilli()));
    }
}
