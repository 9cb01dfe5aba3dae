package io.budgetguard.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.budgetguard.store.Database;
import java.nio.file.Files;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Refusals are counted in memory, appended in groups, and never lost or doubled by a flush. */
class RefusalLogTest {
    static final long NOON = Instant.parse("2026-12-02T12:00:00Z").toEpochMilli();
    static final int MAX_GROUPS = 3;
    Database db;
    RefusalLog log;

    @BeforeEach
    void open() throws Exception {
        db = Database.embedded(Files.createTempDirectory("refusals"));
        db.migrate();
        log = new RefusalLog(db, 60_000, MAX_GROUPS);
    }

    @AfterEach
    void close() {
        log.close();
        db.close();
    }

    List<RefusalLog.DayCount> day() {
        return log.byDay("", Instant.parse("2026-12-02T00:00:00Z"), Instant.parse("2026-12-03T00:00:00Z"));
    }

    @Test
    void countsAndPreventedSpendAreSummedPerTenantAndReasonAcrossFlushes() {
        log.record("a", "key_1", 402, "over_budget", "openai", "gpt-4o", 100, NOON);
        log.record("a", "key_1", 402, "over_budget", "openai", "gpt-4o", 50, NOON + 1);
        log.flush();
        log.record("a", "key_1", 402, "over_budget", "openai", "gpt-4o", 25, NOON + 2);
        log.record("b", "key_2", 429, "requests_per_min", "openai", "gpt-4o", 7, NOON + 3);
        log.flush();
        log.flush(); // nothing new: nothing appended twice
        List<RefusalLog.DayCount> counts = day();
        assertEquals(List.of(new RefusalLog.DayCount("2026-12-02", "a", 402, "over_budget", 3, 175),
                new RefusalLog.DayCount("2026-12-02", "b", 429, "requests_per_min", 1, 7)), counts);
    }

    @Test
    void pastTheGroupLimitARefusalIsStillCountedUnderItsTenantAndReason() {
        for (int i = 0; i < MAX_GROUPS + 1; i++) log.record("a", "key_" + i, 402, "over_budget", "openai", "m" + i, 1, NOON);
        assertEquals(MAX_GROUPS, log.pendingGroups() - 1, "limit groups, then the tenant's catch-all");
        log.record("a", "key_0", 402, "over_budget", "openai", "m0", 1, NOON); // an existing group still counts in it
        log.flush();
        assertEquals(List.of(new RefusalLog.DayCount("2026-12-02", "a", 402, "over_budget", MAX_GROUPS + 2, MAX_GROUPS + 2)), day());
    }

    @Test
    void aNegativePreventedSpendIsABug() {
        assertThrows(IllegalArgumentException.class, () -> log.record("a", "k", 402, "over_budget", "openai", "m", -1, NOON));
    }
}
