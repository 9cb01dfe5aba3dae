package io.budgetguard.budget;

import io.budgetguard.core.Budget;
import io.budgetguard.core.BudgetPeriod;
import io.budgetguard.core.Reservation;
import io.budgetguard.core.WindowRef;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.budgetguard.ledger.Ledger;
import io.budgetguard.core.UsageEvent;
import io.budgetguard.store.Database;
import java.nio.file.Files;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A window is loaded from the ledger outside its tenant's lock: with a million ledger rows behind a rolling
 * window, other tenants are admitted and the tenant's own requests settle while it loads, and the installed
 * window counts every one of them exactly once.
 */
class EmbeddedWindowLoadTest {
    static final int ROWS = 1_000_000;
    static final long HOUR_MS = 3_600_000;

    Database db;
    Ledger ledger;
    GatedHistory history;
    EmbeddedCounters counters;
    final long now = System.currentTimeMillis();
    int seq;

    /** The real ledger, with a gate that holds a rolling window's load of tenant "big" until the test opens it. */
    static final class GatedHistory implements SpendHistory {
        final Ledger ledger;
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch open = new CountDownLatch(1);
        volatile boolean databaseDown;

        GatedHistory(Ledger ledger) {
            this.ledger = ledger;
        }

        @Override
        public long spentMicroUsd(String tenantId, io.budgetguard.core.WindowScope scope, long fromMs, long toMs, Collection<String> excludedIds) {
            return ledger.spentMicroUsd(tenantId, scope, fromMs, toMs, excludedIds);
        }

        @Override
        public Map<Long, Long> spentPerBucket(String tenantId, io.budgetguard.core.WindowScope scope, long fromMs, long bucketMs, Collection<String> excludedIds) {
            if (tenantId.equals("big")) {
                entered.countDown();
                try {
                    open.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            if (databaseDown) throw new io.budgetguard.core.StoreUnavailableException("database unavailable: test", null);
            return ledger.spentPerBucket(tenantId, scope, fromMs, bucketMs, excludedIds);
        }

        @Override
        public boolean append(UsageEvent event) {
            return ledger.append(event);
        }
    }

    @BeforeEach
    void open() throws Exception {
        db = Database.embedded(Files.createTempDirectory("window-load"));
        db.migrate();
        ledger = new Ledger(db, true);
        try (var c = db.connection(); var st = c.createStatement()) {
            // A million settled calls of one micro-dollar each, spread over the last twelve hours.
            st.executeUpdate("INSERT INTO usage_ledger (request_id, tenant_id, api_key_id, endpoint, model, status, prompt_tokens,"
                    + " cached_tokens, completion_tokens, estimated_cost_usd, cost_usd, upstream_status, started_at, finished_at,"
                    + " latency_ms) SELECT 'old_' || \"X\", 'big', 'key_1', '/v1/chat/completions', 'gpt-4o', 'ok', 1, 0, 1, 0.000001,"
                    + " 0.000001, 200, DATEADD('MILLISECOND', -MOD(\"X\" * 37, 43200000) - 1, T), DATEADD('MILLISECOND', -MOD(\"X\" * 37, 43200000), T), 1"
                    + " FROM SYSTEM_RANGE(1, " + ROWS + ") CROSS JOIN (SELECT CAST('" + Instant.ofEpochMilli(now)
                    + "' AS TIMESTAMP WITH TIME ZONE) T)");
        }
        history = new GatedHistory(ledger);
        counters = new EmbeddedCounters(history, HOUR_MS);
    }

    @AfterEach
    void close() {
        history.open.countDown();
        counters.close();
        ledger.close();
        db.close();
    }

    Reservation res(String tenant, long estimate, Budget... budgets) {
        List<WindowRef> ws = java.util.Arrays.stream(budgets).map(b -> WindowRef.of(b, now)).toList();
        return new Reservation("req_" + (seq++), tenant, "key_1", "/v1/chat/completions", "openai", "gpt-4o", estimate, now,
                now + 900_000, ws);
    }

    Reservation admitted(Reservation r) {
        return assertInstanceOf(Admission.Admitted.class, counters.admit(r, 1_000_000, now)).reservation();
    }

    UsageEvent event(Reservation r, long cost) {
        return new UsageEvent(r.id(), r.tenantId(), r.apiKeyId(), r.endpoint(), "openai", r.model(), UsageEvent.Status.OK, 1, 0, 0, 1,
                r.estimateMicroUsd(), cost, 200, Instant.ofEpochMilli(now), Instant.ofEpochMilli(now));
    }

    @Test
    void otherTenantsAndSettlesGoOnWhileAMillionRowWindowLoadsAndItCountsEachCallOnce() throws Exception {
        Budget monthly = new Budget(BudgetPeriod.MONTHLY, 1_000_000_000);
        Budget rolling = new Budget(BudgetPeriod.parse("rolling:24h"), 1_000_000_000);
        Reservation inFlight = admitted(res("big", 50, monthly)); // admitted before the rolling window exists

        CompletableFuture<Admission> needsRolling = CompletableFuture.supplyAsync(
                () -> counters.admit(res("big", 20, monthly, rolling), 1_000_000, now));
        history.entered.await();

        for (int i = 0; i < 100; i++) {
            Reservation r = admitted(res("small", 10, monthly, rolling));
            assertEquals(SpendCounters.SettleResult.SETTLED, counters.settle(r, 10, now, event(r, 10)));
        }
        assertEquals(1_000, counters.usage("small", List.of(WindowRef.of(rolling, now)), now).get(0).spentMicroUsd(),
                "another tenant is admitted and settled while big's window loads");
        assertEquals(SpendCounters.SettleResult.SETTLED, counters.settle(inFlight, 5, now, event(inFlight, 5)),
                "big's own request in flight settles without waiting for the load");
        Reservation late = admitted(res("big", 30, monthly)); // admitted during the load, without the new window
        CompletableFuture<SpendCounters.SettleResult> lateSettle =
                CompletableFuture.supplyAsync(() -> counters.settle(late, 7, now, event(late, 7)));
        assertFalse(needsRolling.isDone(), "the admission that needs the window waits for it");

        history.open.countDown();
        assertInstanceOf(Admission.Admitted.class, needsRolling.get(60, TimeUnit.SECONDS));
        assertEquals(SpendCounters.SettleResult.SETTLED, lateSettle.get(60, TimeUnit.SECONDS));
        WindowUsage u = counters.usage("big", List.of(WindowRef.of(rolling, now)), now).get(0);
        assertEquals(ROWS + 5 + 7, u.spentMicroUsd(), "a million rows, the call settled during the load, the late one: each once");
        assertEquals(20, u.reservedMicroUsd(), "the admission that waited is reserved");
        assertEquals(ROWS + 5 + 7, ledger.spentMicroUsd("big", io.budgetguard.core.WindowScope.TENANT, now - 24 * HOUR_MS, now + 1, List.of()), "the ledger agrees");
    }

    @Test
    void aLoadThatFailsFailsTheAdmissionsWaitingForItAndTheNextOneLoadsAgain() throws Exception {
        Budget rolling = new Budget(BudgetPeriod.parse("rolling:24h"), 1_000_000_000);
        history.databaseDown = true;
        CompletableFuture<Admission> first = CompletableFuture.supplyAsync(() -> counters.admit(res("big", 20, rolling), 1_000_000, now));
        history.entered.await();
        history.open.countDown();
        var failed = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
                () -> first.get(60, TimeUnit.SECONDS));
        assertInstanceOf(io.budgetguard.core.StoreUnavailableException.class, failed.getCause(), "503, not a bug");
        history.databaseDown = false;
        admitted(res("big", 20, rolling));
        assertEquals(ROWS, counters.usage("big", List.of(WindowRef.of(rolling, now)), now).get(0).spentMicroUsd());
    }
}
