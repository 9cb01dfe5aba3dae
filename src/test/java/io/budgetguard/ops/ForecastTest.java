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

    static long[] steady(long perDay) {
        long[] d = new long[io.budgetguard.budget.ForecastHistory.DAYS];
        java.util.Arrays.fill(d, perDay);
        return d;
    }

    @Test
    void fromASteadyHistoryTheRestOfTheWindowIsProjectedAtItsDailySpendWithANarrowRange() {
        // $10 spent in 10 days of November, and $2/day for 8 weeks before: 20 more days at $2.
        Forecast f = Forecast.of(new WindowUsage(NOVEMBER, 10_000_000, 0), NOW, steady(2_000_000));
        assertEquals(Forecast.Method.HISTORY, f.method());
        assertEquals(50_000_000, f.projectedMicroUsd());
        assertEquals(50_000_000, f.lowMicroUsd(), "a history without variation has no range");
        assertEquals(50_000_000, f.highMicroUsd());
        assertNull(f.runsOutAtMs());
    }

    @Test
    void weekdaysAndWeekendsAreProjectedApartAndNoisyHistoryWidensTheRange() {
        long[] d = new long[io.budgetguard.budget.ForecastHistory.DAYS];
        long today = Math.floorDiv(NOW, DAY);
        java.util.Random r = new java.util.Random(7);
        for (int i = 0; i < d.length; i++) {
            java.time.DayOfWeek w = java.time.LocalDate.ofEpochDay(today - d.length + i).getDayOfWeek();
            boolean weekend = w == java.time.DayOfWeek.SATURDAY || w == java.time.DayOfWeek.SUNDAY;
            d[i] = (weekend ? 1_000_000 : 5_000_000) + r.nextInt(1_000_000);
        }
        Forecast f = Forecast.of(new WindowUsage(NOVEMBER, 40_000_000, 0), NOW, d);
        // 20 days left from Wed 11 Nov: 6 weekend days at ~$1.5, 14 weekdays at ~$5.5: about $86 more.
        assertTrue(f.projectedMicroUsd() > 120_000_000 && f.projectedMicroUsd() < 132_000_000, f.toString());
        assertTrue(f.lowMicroUsd() < f.projectedMicroUsd() && f.projectedMicroUsd() < f.highMicroUsd(), f.toString());
        assertTrue(f.projectedOver(NOVEMBER.limitMicroUsd()));
        assertTrue(f.runsOutEarliestMs() <= f.runsOutAtMs(), "the high end runs out first");
        assertTrue(f.runsOutLatestMs() == null || f.runsOutLatestMs() >= f.runsOutAtMs());
    }

    @Test
    void withLessThanTwoWeeksOfHistoryOrForARollingWindowTheBurnRateIsUsed() {
        long[] d = new long[io.budgetguard.budget.ForecastHistory.DAYS];
        for (int i = d.length - Forecast.MIN_HISTORY_DAYS + 1; i < d.length; i++) d[i] = 1_000_000;
        assertEquals(Forecast.Method.BURN_RATE, Forecast.of(new WindowUsage(NOVEMBER, 20_000_000, 0), NOW, d).method(),
                "min - 1 days of history");
        d[d.length - Forecast.MIN_HISTORY_DAYS] = 1_000_000;
        assertEquals(Forecast.Method.HISTORY, Forecast.of(new WindowUsage(NOVEMBER, 20_000_000, 0), NOW, d).method(), "min days");
        WindowRef rolling = WindowRef.of(new Budget(BudgetPeriod.parse("rolling:24h"), 100_000_000), NOW);
        assertEquals(Forecast.Method.BURN_RATE, Forecast.of(new WindowUsage(rolling, 20_000_000, 0), NOW, steady(1_000_000)).method());
    }
}
