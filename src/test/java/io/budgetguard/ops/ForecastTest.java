package io.budgetguard.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.core.Budget;
import io.budgetguard.core.BudgetPeriod;
import io.budgetguard.budget.Forecast;
import io.budgetguard.core.WindowRef;
import io.budgetguard.budget.WindowUsage;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ForecastTest {
    static final long DAY = 86_400_000L;
    /** November 2026 has 30 days; ten days in. */
    static final long NOW = Instant.parse("2026-11-11T00:00:00Z").toEpochMilli();
    static final WindowRef NOVEMBER = WindowRef.of(new Budget(BudgetPeriod.MONTHLY, 100_000_000), NOW);

    @Test
    void theProjectionExtendsTheBurnRateToTheWindowsEnd() {
        Forecast f = Forecast.of(new WindowUsage(NOVEMBER, 20_000_000, 0), NOW);
        assertEquals(20_000_000L * 3_600_000 / (10 * DAY), f.burnMicroUsdPerHour());
        assertEquals(60_000_000, f.projectedMicroUsd(), "$20 in 10 days: $60 over 30");
        assertNull(f.runsOutAtMs(), "$100 lasts past the end of the month");
    }

    @Test
    void theRunOutTimeIsWhenTheRemainderIsBurnt() {
        Forecast f = Forecast.of(new WindowUsage(NOVEMBER, 50_000_000, 0), NOW);
        assertEquals(150_000_000, f.projectedMicroUsd());
        assertTrue(f.projectedOver(NOVEMBER.limitMicroUsd()));
        assertEquals(Instant.parse("2026-11-21T00:00:00Z").toEpochMilli(), f.runsOutAtMs(), "$50 more at $5/day: 10 days");
    }

    @Test
    void anExhaustedBudgetHasRunOutNow() {
        assertEquals(NOW, Forecast.of(new WindowUsage(NOVEMBER, 100_000_000, 0), NOW).runsOutAtMs());
    }

    @Test
    void noSpendProjectsNothing() {
        Forecast f = Forecast.of(new WindowUsage(NOVEMBER, 0, 0), NOW);
        assertEquals(0, f.burnMicroUsdPerHour());
        assertNull(f.runsOutAtMs());
    }
}
