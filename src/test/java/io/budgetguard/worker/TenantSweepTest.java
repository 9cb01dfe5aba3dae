package io.budgetguard.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.budget.Admission;
import io.budgetguard.core.Reservation;
import io.budgetguard.budget.RedisCounters;
import io.budgetguard.budget.TenantSweep;
import io.budgetguard.ledger.Ledger;
import io.budgetguard.store.Database;
import io.budgetguard.testing.RedisServer;
import io.budgetguard.testing.ShiftableClock;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Background duties visit the tenants with recent activity, not every tenant, and never lose one that has work. */
class TenantSweepTest {
    static final long LOOK_BACK_MS = 600_000;
    static final List<String> DIRECTORY = IntStream.range(0, 1_000).mapToObj(i -> "idle" + i).toList();

    RedisServer redis;
    Database db;
    RedisCounters counters;
    ShiftableClock clock = ShiftableClock.frozen();
    TenantSweep sweep;

    @BeforeEach
    void open() throws Exception {
        redis = RedisServer.start();
        db = Database.embedded(Files.createTempDirectory("sweep"));
        db.migrate();
        counters = new RedisCounters(io.budgetguard.budget.RedisStore.connect(redis.url(), 16, 2_000), new Ledger(db, false), 3_600_000);
        sweep = new TenantSweep("test", counters, each -> DIRECTORY.forEach(each), LOOK_BACK_MS, clock);
    }

    @AfterEach
    void close() throws Exception {
        counters.close();
        db.close();
        redis.close();
    }

    List<String> pass(java.util.function.Predicate<String> visit) {
        List<String> seen = new ArrayList<>();
        sweep.forEach(id -> {
            seen.add(id);
            return visit.test(id);
        });
        return seen;
    }

    List<String> pass() {
        return pass(id -> true);
    }

    void admit(String tenant) {
        Reservation r = new Reservation("req_" + tenant + clock.millis(), tenant, "key_1", "/v1/chat/completions", "openai", "gpt-4o", 1,
                clock.millis(), clock.millis() + 60_000, List.of());
        assertTrue(counters.admit(r, 1_000, clock.millis()) instanceof Admission.Admitted);
    }

    @Test
    void theFirstPassVisitsEveryTenantAndLaterPassesOnlyTheActiveOnes() {
        assertEquals(1_000, pass().size(), "marks may predate this process: everyone once");
        admit("busy1");
        admit("busy2");
        clock.advance(1_000);
        assertEquals(List.of("busy1", "busy2"), pass());
        assertEquals(List.of("busy1", "busy2"), pass(), "still within the look-back");
    }

    @Test
    void aTenantLeavesTheSweepOnceItsLookBackHasPassed() {
        pass();
        admit("busy1");
        clock.advance(LOOK_BACK_MS - 1);
        assertEquals(List.of("busy1"), pass(), "look-back minus one: still visited");
        clock.advance(2);
        assertEquals(List.of("busy1"), pass(), "the pass before covered it at look-back minus one; this one looks back from there");
        clock.advance(LOOK_BACK_MS);
        assertEquals(List.of(), pass(), "a full look-back after the last pass that saw it: gone");
    }

    @Test
    void aFailedVisitKeepsTheTenantInTheSweepUntilAPassSucceeds() {
        pass();
        admit("stuck");
        clock.advance(1_000);
        assertEquals(List.of("stuck"), pass(id -> false));
        clock.advance(10 * LOOK_BACK_MS); // failing the whole time (a database outage)
        assertEquals(List.of("stuck"), pass(id -> false), "the look-back counts from the last pass that succeeded");
        assertEquals(List.of("stuck"), pass());
        clock.advance(2 * LOOK_BACK_MS);
        assertEquals(List.of(), pass());
    }

    @Test
    void aVisitThatThrowsIsLoggedAndCountsAsFailedWhileTheOthersAreStillVisited() {
        pass();
        admit("down");
        admit("broken");
        admit("fine");
        clock.advance(1_000);
        List<String> seen = new ArrayList<>();
        TenantSweep.Pass p = sweep.forEachLogged(id -> {
            seen.add(id);
            if (id.equals("down")) throw new io.budgetguard.core.StoreUnavailableException("database unavailable: test", null);
            if (id.equals("broken")) throw new IllegalStateException("a bug");
        });
        assertEquals(List.of("broken", "down", "fine"), seen.stream().sorted().toList(), "every tenant visited");
        assertFalse(p.succeeded());
        clock.advance(10 * LOOK_BACK_MS);
        assertEquals(List.of("broken", "down", "fine"), pass().stream().sorted().toList(),
                "the look-back still counts from the last pass that succeeded");
    }

    @Test
    void lostMarksMakeTheNextPassesVisitEveryTenant() throws Exception {
        pass();
        admit("busy1");
        pass();
        redis.command("FLUSHALL");
        admit("busy1"); // within the gateway's mark interval: not marked again
        assertEquals(1_000, pass().size(), "marks lost: every tenant");
        clock.advance(TenantSweep.FORGET_AFTER_MS / 1_000);
        assertEquals(1_000, pass().size(), "and once more, after the gateways' mark interval");
        assertFalse(pass().size() == 1_000, "then back to the active ones");
    }
}
