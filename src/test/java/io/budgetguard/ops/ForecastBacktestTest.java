package io.budgetguard.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.budgetguard.budget.Forecast;
import io.budgetguard.budget.ForecastHistory;
import io.budgetguard.budget.WindowUsage;
import io.budgetguard.core.Budget;
import io.budgetguard.core.BudgetPeriod;
import io.budgetguard.core.UsageEvent;
import io.budgetguard.core.WindowRef;
import io.budgetguard.core.WindowScope;
import io.budgetguard.ledger.Ledger;
import io.budgetguard.store.Database;
import java.nio.file.Files;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The forecast backtested on a synthetic year of ledger rows (weekday/weekend pattern, a trend from $20 to $35 a day,
 * noise, a few spikes): at six points of each month from February on, the forecast made from the ledger's history
 * is compared with what the month really spent. Prints its error next to the burn-rate forecast's (the figures in
 * bench/RESULTS.md).
 */
class ForecastBacktestTest {
    static final String TENANT = "synthetic";
    static final long DAY = 86_400_000L;
    static final int[] CHECK_DAYS = {3, 8, 13, 18, 23, 28};

    /** The synthetic year: micro-USD per day of 2025, a fixed seed. */
    static long[] year() {
        Random r = new Random(20_251_231L);
        LocalDate d = LocalDate.of(2025, 1, 1);
        long[] out = new long[365];
        for (int i = 0; i < 365; i++, d = d.plusDays(1)) {
            double trend = 20 + 15.0 * i / 364;
            boolean weekend = d.getDayOfWeek() == DayOfWeek.SATURDAY || d.getDayOfWeek() == DayOfWeek.SUNDAY;
            double usd = trend * (weekend ? 0.5 : 1.2) * Math.exp(0.25 * r.nextGaussian());
            if (r.nextInt(60) == 0) usd *= 3; // a batch job, a runaway loop
            out[i] = Math.round(usd * 1_000_000);
        }
        return out;
    }

    @Test
    void historyForecastsAreCloserThanTheBurnRateAndTheirRangeHoldsTheOutcome() throws Exception {
        long[] daily = year();
        try (Database db = Database.embedded(Files.createTempDirectory("backtest"))) {
            db.migrate();
            Ledger ledger = new Ledger(db, false);
            long start = LocalDate.of(2025, 1, 1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
            for (int i = 0; i < daily.length; i++) {
                List<UsageEvent> rows = new ArrayList<>();
                for (int j = 0; j < 4; j++) { // four requests a day, spread over it
                    long at = start + i * DAY + j * 6 * 3_600_000L;
                    long cost = daily[i] / 4 + (j == 0 ? daily[i] % 4 : 0);
                    rows.add(new UsageEvent("bt-" + i + "-" + j, TENANT, "key_1", "/v1/chat/completions", "openai", "gpt-4o",
                            UsageEvent.Status.OK, 100, 0, 0, 50, cost, cost, 200, java.time.Instant.ofEpochMilli(at),
                            java.time.Instant.ofEpochMilli(at + 1_000)));
                }
                ledger.appendBatch(rows);
            }
            ForecastHistory history = new ForecastHistory(ledger);
            double histApe = 0, burnApe = 0;
            int n = 0, covered = 0, histBetter = 0;
            java.util.Map<Integer, double[]> byDay = new java.util.TreeMap<>(); // check day -> {history APE, burn APE, count}
            StringBuilder table = new StringBuilder();
            for (int month = 2; month <= 12; month++) {
                LocalDate first = LocalDate.of(2025, month, 1);
                long monthStart = first.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
                long actual = ledger.spentMicroUsd(TENANT, java.time.Instant.ofEpochMilli(monthStart),
                        first.plusMonths(1).atStartOfDay(ZoneOffset.UTC).toInstant());
                for (int day : CHECK_DAYS) {
                    if (day > first.lengthOfMonth()) continue;
                    long now = monthStart + (day - 1) * DAY + DAY / 2;
                    WindowRef w = WindowRef.of(new Budget(BudgetPeriod.MONTHLY, 1_000_000_000L), now);
                    long spent = ledger.spentMicroUsd(TENANT, WindowScope.TENANT, monthStart, now, List.of());
                    WindowUsage u = new WindowUsage(w, spent, 0);
                    Forecast f = history.forecast(TENANT, u, now);
                    Forecast burn = Forecast.of(u, now);
                    assertEquals(Forecast.Method.HISTORY, f.method());
                    assertTrue(f.lowMicroUsd() <= f.projectedMicroUsd() && f.projectedMicroUsd() <= f.highMicroUsd(), f.toString());
                    double h = Math.abs(f.projectedMicroUsd() - actual) / (double) actual;
                    double b = Math.abs(burn.projectedMicroUsd() - actual) / (double) actual;
                    histApe += h;
                    burnApe += b;
                    if (h <= b) histBetter++;
                    double[] agg = byDay.computeIfAbsent(day, k -> new double[3]);
                    agg[0] += h;
                    agg[1] += b;
                    agg[2]++;
                    if (actual >= f.lowMicroUsd() && actual <= f.highMicroUsd()) covered++;
                    n++;
                    table.append(String.format("%s day %2d: actual %8.2f history %8.2f [%8.2f, %8.2f] burn %8.2f%n", first.getMonth(), day,
                            actual / 1e6, f.projectedMicroUsd() / 1e6, f.lowMicroUsd() / 1e6, f.highMicroUsd() / 1e6,
                            burn.projectedMicroUsd() / 1e6));
                }
            }
            double histMape = 100 * histApe / n, burnMape = 100 * burnApe / n, coverage = 100.0 * covered / n;
            System.out.print(table);
            byDay.forEach((day, agg) -> System.out.printf("backtest day %2d of the month: history MAPE %.1f %%, burn-rate MAPE %.1f %%%n",
                    day, 100 * agg[0] / agg[2], 100 * agg[1] / agg[2]));
            System.out.printf("backtest: %d forecasts; history MAPE %.1f %%, burn-rate MAPE %.1f %%, history closer in %d; "
                    + "actual within [p10, p90] range in %.0f %%%n", n, histMape, burnMape, histBetter, coverage);
            assertTrue(histMape < burnMape, "the history forecast is closer: " + histMape + " vs " + burnMape);
            assertTrue(coverage >= 65 && coverage <= 95, "the 10th-90th percentile range holds the outcome about 80 % of the time: "
                    + coverage);
        }
    }
}
