package io.budgetguard.budget;

import io.budgetguard.core.BudgetPeriod;
import io.budgetguard.core.BudgetWindow;
import io.budgetguard.core.Money;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class BudgetPeriodTest {
    static final Instant SAT = Instant.parse("2026-11-28T10:00:00Z");

    @Test
    void dailyWindowsAreUtcDays() {
        BudgetWindow w = BudgetPeriod.DAILY.windowAt(SAT);
        assertEquals(Instant.parse("2026-11-28T00:00:00Z"), w.start());
        assertEquals(Instant.parse("2026-11-29T00:00:00Z"), w.end());
    }

    @Test
    void weeklyWindowsStartOnMonday() {
        assertEquals(Instant.parse("2026-11-23T00:00:00Z"), BudgetPeriod.WEEKLY.windowAt(SAT).start());
        Instant monday = Instant.parse("2026-11-30T00:00:00Z");
        assertEquals(monday, BudgetPeriod.WEEKLY.windowAt(monday).start(), "a Monday at midnight opens its own week");
        assertEquals(Instant.parse("2026-11-23T00:00:00Z"), BudgetPeriod.WEEKLY.windowAt(monday.minusNanos(1)).start());
    }

    @Test
    void monthlyWindowsAreCalendarMonths() {
        BudgetWindow w = BudgetPeriod.MONTHLY.windowAt(Instant.parse("2026-12-31T23:59:59.999Z"));
        assertEquals(Instant.parse("2026-12-01T00:00:00Z"), w.start());
        assertEquals(Instant.parse("2027-01-01T00:00:00Z"), w.end());
    }

    @Test
    void rollingWindowsEndNow() {
        BudgetWindow w = BudgetPeriod.parse("rolling:24h").windowAt(SAT);
        assertEquals(SAT.minusSeconds(86_400), w.start());
        assertEquals(SAT, w.end());
        assertEquals("rolling:1d", BudgetPeriod.parse("rolling:24h").name());
        assertEquals("rolling:36h", BudgetPeriod.parse("rolling:36h").name());
        assertEquals("rolling:7d", BudgetPeriod.parse("rolling:7d").name());
    }

    @Test
    void rollingSpansAreBounded() {
        assertEquals("rolling:366d", BudgetPeriod.parse("rolling:366d").name());
        assertThrows(IllegalArgumentException.class, () -> BudgetPeriod.parse("rolling:367d"));
        assertThrows(IllegalArgumentException.class, () -> BudgetPeriod.parse("rolling:0h"));
        assertThrows(IllegalArgumentException.class, () -> BudgetPeriod.parse("rolling:5m"));
    }

    @Test
    void moneyParsesExactlyToTheMicroDollar() {
        assertEquals(1, Money.microUsdFromUsd("0.000001"));
        assertEquals(12_500_000, Money.microUsdFromUsd("12.50"));
        assertThrows(IllegalArgumentException.class, () -> Money.microUsdFromUsd("0.0000001"));
        assertThrows(IllegalArgumentException.class, () -> Money.microUsdFromUsd("-1"));
        assertEquals(Money.MAX_MICRO_USD, Money.microUsdFromUsd("1000000000"));
        assertThrows(IllegalArgumentException.class, () -> Money.microUsdFromUsd("1000000000.000001"));
    }
}
