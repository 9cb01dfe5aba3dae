package io.budgetguard.ledger;

import io.budgetguard.core.UsageEvent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.budget.Admission;
import io.budgetguard.core.Budget;
import io.budgetguard.core.BudgetPeriod;
import io.budgetguard.budget.RedisCounters;
import io.budgetguard.core.Reservation;
import io.budgetguard.budget.SpendCounters;
import io.budgetguard.core.WindowRef;
import io.budgetguard.store.Database;
import io.budgetguard.testing.RedisServer;
import java.nio.file.Files;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Redis ledger stream: appended by settle atomically, drained by a consumer group, acknowledged after commit. */
class LedgerStreamTest {
    static RedisServer redis;
    Database db;
    Ledger ledger;
    RedisCounters counters;
    RedisLedgerStream stream;
    String tenant;
    int seq;

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() throws Exception {
        redis.close();
    }

    @BeforeEach
    void open() throws Exception {
        db = Database.embedded(Files.createTempDirectory("stream"));
        db.migrate();
        ledger = new Ledger(db, false);
        counters = new RedisCounters(io.budgetguard.budget.RedisStore.connect(redis.url(), 16, 2_000), ledger, 3_600_000);
        stream = new RedisLedgerStream(counters.store());
        tenant = "s" + System.nanoTime();
    }

    @AfterEach
    void close() {
        counters.close();
        db.close();
    }

    Reservation settled(long cost) {
        long now = System.currentTimeMillis();
        Reservation r = new Reservation("req_" + tenant + "_" + (seq++), tenant, "key_1", "/v1/chat/completions", "openai", "gpt-4o", 1_000,
                now, now + 900_000, List.of(WindowRef.of(new Budget(BudgetPeriod.MONTHLY, 1_000_000_000), now)));
        assertTrue(counters.admit(r, 1_000, now) instanceof Admission.Admitted);
        UsageEvent e = new UsageEvent(r.id(), tenant, "key_1", r.endpoint(), "openai", r.model(), UsageEvent.Status.OK, 10, 0, 0, 5, 1_000, cost,
                200, Instant.ofEpochMilli(now), Instant.ofEpochMilli(now + 5));
        assertEquals(SpendCounters.SettleResult.SETTLED, counters.settle(r, cost, now, e));
        assertEquals(SpendCounters.SettleResult.ALREADY, counters.settle(r, cost, now, e), "a second settle appends nothing");
        return r;
    }

    long stream() throws Exception {
        return Long.parseLong(redis.command("XLEN", "bg:{" + tenant + "}:ledger").replace(":", ""));
    }

    long rows() {
        return ledger.report(tenant, java.time.LocalDate.now().minusDays(1), java.time.LocalDate.now().plusDays(1), "model")
                .total().requests();
    }

    @Test
    void settleAppendsExactlyOneEventPerReservation() throws Exception {
        for (int i = 0; i < 3; i++) settled(100);
        assertEquals(3, stream());
    }

    @Test
    void drainingCommitsThenAcknowledgesAndLeavesNothingBehind() throws Exception {
        for (int i = 0; i < 5; i++) settled(100);
        assertEquals(5, stream.drain(tenant, "w1", 30_000, 2, 10, ledger::appendBatch));
        assertEquals(5, rows());
        assertEquals(0, stream(), "acknowledged entries are deleted");
        assertEquals(0, stream.drain(tenant, "w1", 30_000, 2, 10, ledger::appendBatch));
        assertEquals(500, ledger.spentMicroUsd(tenant, io.budgetguard.core.WindowScope.TENANT, 0, Long.MAX_VALUE / 2, java.util.List.of()));
    }

    @Test
    void aFailedCommitLeavesEntriesPendingForTheNextDrain() throws Exception {
        for (int i = 0; i < 3; i++) settled(100);
        assertThrows(IllegalStateException.class, () -> stream.drain(tenant, "w1", 0, 10, 10, events -> {
            throw new IllegalStateException("database down");
        }));
        assertEquals(3, stream(), "nothing acknowledged, nothing trimmed");
        assertEquals(3, stream.drain(tenant, "w1", 0, 10, 10, ledger::appendBatch));
        assertEquals(3, rows());
    }

    @Test
    void entriesADeadWorkerLeftAreClaimedByAnotherAndWrittenOnce() throws Exception {
        for (int i = 0; i < 4; i++) settled(100);
        stream.drain(tenant, "setup", 30_000, 1, 0, ledger::appendBatch); // creates the group, moves nothing
        String read = redis.command("XREADGROUP", "GROUP", "ledger", "dead-worker", "COUNT", "10", "STREAMS",
                "bg:{" + tenant + "}:ledger", ">");
        assertTrue(read.startsWith("*1"), read); // the dead worker took all four and never acknowledged them
        assertEquals(0, stream.drain(tenant, "w2", 60_000, 10, 10, ledger::appendBatch), "not idle long enough yet");
        assertEquals(4, stream.drain(tenant, "w2", 0, 10, 10, ledger::appendBatch), "claimed once idle");
        assertEquals(4, rows());
        assertEquals(0, stream.drain(tenant, "w2", 0, 10, 10, ledger::appendBatch), "and never written twice");
    }

    @Test
    void theBacklogReportsPendingEventsAndTheirAge() throws Exception {
        settled(100);
        long[] backlog = stream.backlog(tenant, System.currentTimeMillis() + 5_000);
        assertEquals(1, backlog[0]);
        assertTrue(backlog[1] >= 5_000, "age " + backlog[1]);
        stream.drain(tenant, "w1", 30_000, 10, 10, ledger::appendBatch);
        assertEquals(0, stream.backlog(tenant, System.currentTimeMillis())[0]);
    }
}
