package io.budgetguard.budget;

import io.budgetguard.core.Budget;
import io.budgetguard.core.BudgetPeriod;
import io.budgetguard.core.Reservation;
import io.budgetguard.core.WindowRef;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.ledger.Ledger;
import io.budgetguard.core.UsageEvent;
import io.budgetguard.store.Database;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The behaviour both counter stores must share; each implementation runs it against its real store. */
abstract class SpendCountersContract {
    static final long T0 = Instant.parse("2026-11-26T10:00:30Z").toEpochMilli();
    static final Budget MONTHLY_1000 = new Budget(BudgetPeriod.MONTHLY, 1_000);

    Database db;
    Ledger ledger;
    SpendCounters counters;
    String tenant;
    int seq;

    abstract SpendCounters create(Ledger ledger) throws Exception;

    /** Drops everything the store holds (process restart for embedded, FLUSHALL for Redis); returns a fresh one. */
    abstract SpendCounters restart(Ledger ledger) throws Exception;

    @BeforeEach
    void open() throws Exception {
        db = Database.embedded(Files.createTempDirectory("counters"));
        db.migrate();
        ledger = new Ledger(db, false);
        counters = create(ledger);
        tenant = "t" + System.nanoTime();
    }

    @AfterEach
    void close() {
        counters.close();
        db.close();
    }

    Reservation res(long estimate, long now, Budget... budgets) {
        List<WindowRef> ws = new ArrayList<>();
        for (Budget b : budgets) ws.add(WindowRef.of(b, now));
        return new Reservation("req_" + (seq++), tenant, "key_1", "/v1/chat/completions", "openai", "gpt-4o", estimate, now,
                now + 900_000, ws);
    }

    Admission admit(long estimate, long now, Budget... budgets) {
        return counters.admit(res(estimate, now, budgets), 1_000_000, now);
    }

    WindowUsage usage(long now, Budget b) {
        return counters.usage(tenant, List.of(WindowRef.of(b, now)), now).get(0);
    }

    Reservation keyRes(String keyId, long now) {
        return new Reservation("req_" + (seq++), tenant, keyId, "/v1/chat/completions", "openai", "gpt-4o", 1, now,
                now + 900_000, List.of());
    }

    Reservation tokenRes(String keyId, long now, long tokens) {
        return new Reservation("req_" + (seq++), tenant, keyId, "/v1/chat/completions", "openai", "gpt-4o", 1, now,
                now + 900_000, List.of(), null, "", tokens);
    }

    static io.budgetguard.core.UsageEvent used(Reservation r, long prompt, long completion, long now) {
        return new io.budgetguard.core.UsageEvent(r.id(), r.tenantId(), r.apiKeyId(), r.endpoint(), "openai", r.model(),
                io.budgetguard.core.UsageEvent.Status.OK, prompt, 0, 0, completion, 1, 1, 200,
                java.time.Instant.ofEpochMilli(now), java.time.Instant.ofEpochMilli(now));
    }

    @Test
    void tokensPerMinuteCountTheReservedTokensAndASettleLeavesWhatWasUsed() {
        long now = 1_800_000_000_000L;
        RateLimits tenantTokens = new RateLimits(1_000, 0, 1_000, 0);
        Reservation first = tokenRes("key_a", now, 600);
        assertTrue(counters.admit(first, tenantTokens, now) instanceof Admission.Admitted a && a.tokens().remaining() == 400);
        Admission second = counters.admit(tokenRes("key_a", now, 600), tenantTokens, now);
        assertTrue(second instanceof Admission.RateLimited r && r.tokens() && !r.keyLevel() && r.rate().limit() == 1_000,
                second.toString());
        assertTrue(counters.admit(tokenRes("key_a", now, 400), tenantTokens, now) instanceof Admission.Admitted,
                "exactly the tokens left fit");
        counters.settle(first, 1, now + 1, used(first, 60, 40, now + 1));
        assertTrue(counters.admit(tokenRes("key_a", now + 2, 500), tenantTokens, now + 2) instanceof Admission.Admitted,
                "the first request used 100 of its 600: 100 + 400 + 500 fit the minute");
        assertTrue(counters.admit(tokenRes("key_a", now + 3, 1), tenantTokens, now + 3) instanceof Admission.RateLimited);
        assertTrue(counters.admit(tokenRes("key_a", now + 62_000, 1_000), tenantTokens, now + 62_000) instanceof Admission.Admitted,
                "a minute later the tokens have left");
    }

    @Test
    void aKeysOwnTokensPerMinuteHoldThatKeyOnly() {
        long now = 1_800_000_000_000L;
        RateLimits keyTokens = new RateLimits(1_000, 0, 0, 500);
        assertTrue(counters.admit(tokenRes("key_b", now, 500), keyTokens, now) instanceof Admission.Admitted);
        Admission over = counters.admit(tokenRes("key_b", now, 1), keyTokens, now);
        assertTrue(over instanceof Admission.RateLimited r && r.tokens() && r.keyLevel(), over.toString());
        assertTrue(counters.admit(tokenRes("key_c", now, 500), keyTokens, now) instanceof Admission.Admitted, "another key has its own");
    }

    @Test
    void aKeysOwnRateLimitRefusesThatKeyAtItsLimitAndNoOtherKey() {
        long now = 1_800_000_000_000L;
        for (int i = 0; i < 3; i++) {
            assertTrue(counters.admit(keyRes("key_a", now), 100, 3, now) instanceof Admission.Admitted, "request " + (i + 1) + " of 3");
        }
        Admission fourth = counters.admit(keyRes("key_a", now), 100, 3, now);
        assertTrue(fourth instanceof Admission.RateLimited r && r.keyLevel() && r.rate().limit() == 3, fourth.toString());
        assertTrue(counters.admit(keyRes("key_b", now), 100, 3, now) instanceof Admission.Admitted, "another key has its own count");
        assertTrue(counters.admit(keyRes("key_a", now + 62_000), 100, 3, now + 62_000) instanceof Admission.Admitted,
                "a minute later the key has room again");
        // The tenant's limit still holds over all its keys: 5 counted in the last minute at now + 62 s... 1 (key_a) so far.
        Admission tenantLevel = null;
        for (int i = 0; i < 100; i++) {
            tenantLevel = counters.admit(keyRes("key_" + i, now + 62_000), 3, 0, now + 62_000);
            if (!(tenantLevel instanceof Admission.Admitted)) break;
        }
        assertTrue(tenantLevel instanceof Admission.RateLimited r && !r.keyLevel(), String.valueOf(tenantLevel));
    }

    @Test
    void anEstimateThatFitsExactlyIsAdmittedAndOneMicroDollarMoreIsNot() {
        assertInstanceOf(Admission.Admitted.class, admit(999, T0, MONTHLY_1000), "limit - 1");
        counters.settle(((Admission.Admitted) admit(0, T0, MONTHLY_1000)).reservation(), 0, T0);
        assertInstanceOf(Admission.OverBudget.class, admit(2, T0, MONTHLY_1000), "limit + 1");
        assertInstanceOf(Admission.Admitted.class, admit(1, T0, MONTHLY_1000), "exactly the limit");
        assertEquals(0, usage(T0, MONTHLY_1000).remainingMicroUsd());
    }

    @Test
    void aWindowAddedWhileARequestIsInFlightCountsItWhenItSettles() {
        Budget daily = new Budget(BudgetPeriod.DAILY, 1_000_000);
        Budget rolling = new Budget(BudgetPeriod.parse("rolling:24h"), 1_000_000);
        Reservation inFlight = ((Admission.Admitted) admit(500, T0, MONTHLY_1000)).reservation();
        // The tenant gets a daily and a rolling budget now: their windows are built (from the ledger: nothing yet),
        // and the request already in flight is reserved in them too, so a cap added now cannot be overrun by it.
        assertEquals(0, usage(T0 + 1_000, daily).spentMicroUsd());
        assertEquals(500, usage(T0 + 1_000, daily).reservedMicroUsd());
        assertEquals(500, usage(T0 + 1_000, rolling).reservedMicroUsd());
        List<WindowRef> current = List.of(WindowRef.of(MONTHLY_1000, T0 + 2_000), WindowRef.of(daily, T0 + 2_000),
                WindowRef.of(rolling, T0 + 2_000));
        counters.settle(inFlight, 300, T0 + 2_000, null, current);
        assertEquals(300, usage(T0 + 2_000, MONTHLY_1000).spentMicroUsd());
        assertEquals(0, usage(T0 + 2_000, MONTHLY_1000).reservedMicroUsd(), "the held window releases its reservation");
        assertEquals(300, usage(T0 + 2_000, daily).spentMicroUsd(), "the window added mid-flight counts the call");
        assertEquals(300, usage(T0 + 2_000, rolling).spentMicroUsd());
        assertEquals(0, usage(T0 + 2_000, daily).reservedMicroUsd(), "and releases what it reserved for the call");
        assertEquals(0, usage(T0 + 2_000, rolling).reservedMicroUsd());
    }

    @Test
    void aWindowBuiltMidFlightHoldsTheOutstandingReservationsSoItsCapCannotBeOverrun() {
        Budget daily = new Budget(BudgetPeriod.DAILY, 1_000);
        admit(800, T0, MONTHLY_1000); // in flight, admitted before the daily budget existed
        // The daily cap of 1,000 is added: 800 are already reserved in it, so 300 more do not fit, 200 do.
        assertInstanceOf(Admission.OverBudget.class, counters.admit(res(300, T0 + 1_000, daily), 1_000_000, T0 + 1_000));
        assertInstanceOf(Admission.Admitted.class, counters.admit(res(200, T0 + 1_000, daily), 1_000_000, T0 + 1_000));
    }

    @Test
    void aLoweredLimitAppliesAtTheNextAdmissionAndInWhatUsageReports() {
        Budget lowered = new Budget(BudgetPeriod.MONTHLY, 500);
        counters.settle(((Admission.Admitted) admit(400, T0, MONTHLY_1000)).reservation(), 400, T0);
        assertInstanceOf(Admission.OverBudget.class, counters.admit(res(101, T0, lowered), 1_000_000, T0), "limit + 1");
        assertInstanceOf(Admission.Admitted.class, counters.admit(res(99, T0, lowered), 1_000_000, T0), "limit - 1");
        assertInstanceOf(Admission.Admitted.class, counters.admit(res(1, T0, lowered), 1_000_000, T0), "exactly the limit");
        assertEquals(500, usage(T0, lowered).window().limitMicroUsd());
        assertEquals(0, usage(T0, lowered).remainingMicroUsd());
    }

    @Test
    void aRefusedAdmissionChangesNothing() {
        admit(600, T0, MONTHLY_1000);
        Admission a = admit(600, T0, MONTHLY_1000);
        Admission.OverBudget o = assertInstanceOf(Admission.OverBudget.class, a);
        assertEquals(600, o.reservedMicroUsd());
        assertEquals(400, o.remainingMicroUsd());
        assertEquals(600, usage(T0, MONTHLY_1000).reservedMicroUsd());
    }

    @Test
    void settleReplacesTheReservationWithTheActualCost() {
        Reservation r = ((Admission.Admitted) admit(600, T0, MONTHLY_1000)).reservation();
        assertEquals(SpendCounters.SettleResult.SETTLED, counters.settle(r, 250, T0 + 10));
        WindowUsage u = usage(T0 + 10, MONTHLY_1000);
        assertEquals(250, u.spentMicroUsd());
        assertEquals(0, u.reservedMicroUsd());
    }

    @Test
    void settleIsIdempotentPerReservation() {
        Reservation r = ((Admission.Admitted) admit(600, T0, MONTHLY_1000)).reservation();
        counters.settle(r, 250, T0);
        assertEquals(SpendCounters.SettleResult.ALREADY, counters.settle(r, 250, T0));
        assertEquals(250, usage(T0, MONTHLY_1000).spentMicroUsd());
    }

    @Test
    void anUpstreamErrorReleasesTheReservation() {
        Reservation r = ((Admission.Admitted) admit(1000, T0, MONTHLY_1000)).reservation();
        counters.settle(r, 0, T0);
        assertInstanceOf(Admission.Admitted.class, admit(1000, T0, MONTHLY_1000));
    }

    @Test
    void everyWindowMustFitAndTheTightestOneIsNamed() {
        Budget daily = new Budget(BudgetPeriod.DAILY, 300);
        Admission.OverBudget o = assertInstanceOf(Admission.OverBudget.class, admit(301, T0, MONTHLY_1000, daily));
        assertEquals(BudgetPeriod.DAILY, o.window().period());
        assertEquals(0, usage(T0, MONTHLY_1000).reservedMicroUsd(), "nothing reserved in the window that fit");
    }

    @Test
    void theRateLimitHoldsAcrossAMinuteBoundaryWithoutADoubleBurst() {
        long endOfMinute = Instant.parse("2026-11-26T10:00:59.500Z").toEpochMilli();
        for (int i = 0; i < 5; i++) {
            assertInstanceOf(Admission.Admitted.class, counters.admit(res(0, endOfMinute, MONTHLY_1000), 5, endOfMinute));
        }
        long nextMinute = endOfMinute + 1_000;
        Admission.RateLimited r = assertInstanceOf(Admission.RateLimited.class,
                counters.admit(res(0, nextMinute, MONTHLY_1000), 5, nextMinute));
        assertTrue(r.retryAfterMs() > 0 && r.retryAfterMs() <= 61_000, "retry after " + r.retryAfterMs());
        long later = endOfMinute + 61_000;
        assertInstanceOf(Admission.Admitted.class, counters.admit(res(0, later, MONTHLY_1000), 5, later),
                "the burst left the window");
    }

    @Test
    void theRateLimitAdmitsExactlyItsLimit() {
        int admitted = 0;
        for (int i = 0; i < 12; i++) {
            if (counters.admit(res(0, T0 + i, MONTHLY_1000), 10, T0 + i) instanceof Admission.Admitted a) {
                admitted++;
                assertEquals(10 - admitted, a.rate().remaining());
            }
        }
        assertEquals(10, admitted);
    }

    @Test
    void aDailyWindowRollsOverAtUtcMidnight() {
        Budget daily = new Budget(BudgetPeriod.DAILY, 500);
        long beforeMidnight = Instant.parse("2026-11-26T23:59:59Z").toEpochMilli();
        Reservation r = ((Admission.Admitted) admit(500, beforeMidnight, daily)).reservation();
        counters.settle(r, 500, beforeMidnight);
        assertInstanceOf(Admission.OverBudget.class, admit(1, beforeMidnight, daily));
        long afterMidnight = beforeMidnight + 1_000;
        assertInstanceOf(Admission.Admitted.class, admit(500, afterMidnight, daily));
    }

    @Test
    void aRollingWindowForgetsSpendOnceItIsOlderThanTheSpan() {
        Budget rolling = new Budget(BudgetPeriod.parse("rolling:24h"), 500);
        Reservation r = ((Admission.Admitted) admit(500, T0, rolling)).reservation();
        counters.settle(r, 500, T0);
        assertInstanceOf(Admission.OverBudget.class, admit(1, T0 + 23 * 3_600_000L, rolling), "still inside 24 h");
        long later = T0 + 25 * 3_600_000L + 1;
        assertInstanceOf(Admission.Admitted.class, admit(500, later, rolling), "out of the window after 24 h + a bucket");
    }

    @Test
    void spendIsRebuiltFromTheLedgerWhenTheCountersAreGone() throws Exception {
        Instant started = Instant.ofEpochMilli(T0 - 60_000);
        ledger.append(new UsageEvent("req_old", tenant, "key_1", "/v1/chat/completions", "openai", "gpt-4o", UsageEvent.Status.OK,
                1, 0, 0, 1, 700, 700, 200, started, started));
        counters = restart(ledger);
        assertEquals(700, usage(T0, MONTHLY_1000).spentMicroUsd());
        assertInstanceOf(Admission.OverBudget.class, admit(301, T0, MONTHLY_1000));
        assertInstanceOf(Admission.Admitted.class, admit(300, T0, MONTHLY_1000), "requests that fit are not refused");
    }

    @Test
    void reservationsPastTheirDeadlineAreFoundForExpiry() {
        Reservation r = ((Admission.Admitted) admit(400, T0, MONTHLY_1000)).reservation();
        assertTrue(counters.expired(tenant, T0 + 899_999, 10).isEmpty());
        List<Reservation> expired = counters.expired(tenant, T0 + 900_000, 10);
        assertEquals(List.of(r.id()), expired.stream().map(Reservation::id).toList());
        assertEquals(400, expired.get(0).estimateMicroUsd());
        counters.settle(expired.get(0), expired.get(0).estimateMicroUsd(), T0 + 900_000);
        assertEquals(400, usage(T0 + 900_000, MONTHLY_1000).spentMicroUsd());
        assertTrue(counters.expired(tenant, T0 + 900_000, 10).isEmpty());
    }

    @Test
    void usageOfSeveralWindowsCountsWhatEachStillCovers() {
        Budget rolling = new Budget(BudgetPeriod.parse("rolling:1h"), 1_000_000);
        Budget monthly = new Budget(BudgetPeriod.MONTHLY, 1_000_000);
        Reservation early = ((Admission.Admitted) admit(300, T0, monthly, rolling)).reservation();
        counters.settle(early, 300, T0);
        long later = T0 + 2 * 3_600_000;
        Reservation late = ((Admission.Admitted) admit(200, later, monthly, rolling)).reservation();
        counters.settle(late, 150, later);
        admit(40, later, monthly, rolling); // still in flight
        List<WindowUsage> u = counters.usage(tenant, List.of(WindowRef.of(monthly, later), WindowRef.of(rolling, later)), later);
        assertEquals(450, u.get(0).spentMicroUsd(), "the month holds both");
        assertEquals(150, u.get(1).spentMicroUsd(), "the last hour holds only the later one");
        assertEquals(40, u.get(0).reservedMicroUsd());
        assertEquals(40, u.get(1).reservedMicroUsd());
    }

    @Test
    void twoHundredRacingAdmissionsNeverExceedTheLimit() throws Exception {
        Budget cap = new Budget(BudgetPeriod.MONTHLY, 1_550);
        int threads = 200;
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger admitted = new AtomicInteger();
        List<Future<?>> done = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < threads; i++) {
                Reservation r = res(100, T0, cap);
                done.add(pool.submit(() -> {
                    start.await();
                    if (counters.admit(r, 1_000_000, T0) instanceof Admission.Admitted) {
                        admitted.incrementAndGet();
                        counters.settle(r, 100, T0 + 1);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) f.get();
        }
        assertEquals(15, admitted.get());
        WindowUsage u = usage(T0 + 1, cap);
        assertEquals(1_500, u.spentMicroUsd());
        assertEquals(0, u.reservedMicroUsd());
    }
}
