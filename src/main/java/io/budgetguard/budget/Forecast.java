package io.budgetguard.budget;

import io.budgetguard.core.WindowRef;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Where a window is heading: the projected spend at the window's end with a range (low, high), and when the budget
 * runs out at the projection (and at the range's ends: earliest at the high end, latest at the low end).
 *
 * <p>From the ledger's history ({@link #of(WindowUsage, long, long[])}: calendar windows with at least
 * {@link #MIN_HISTORY_DAYS} days of spend): the rest of the window is projected by {@link SpendProjection} (weekday
 * averages along the recent trend, with a 10th to 90th percentile range). Without that history, or for a rolling window, from the current burn rate: calendar windows burn
 * at spend / time elapsed in the window, rolling windows at spend / span (their steady state is the current sum);
 * the range is then the projection itself.
 */
public record Forecast(long burnMicroUsdPerHour, long projectedMicroUsd, Long runsOutAtMs, long lowMicroUsd, long highMicroUsd,
                       Long runsOutEarliestMs, Long runsOutLatestMs, Method method, int historyDays) {
    /** How a forecast was made. */
    public enum Method { HISTORY, BURN_RATE }

    /** Below this much elapsed time a rate is noise: the projection is just what is spent and reserved. */
    static final long MIN_ELAPSED_MS = 60_000;
    private static final long HOUR_MS = 3_600_000;
    static final long DAY_MS = 86_400_000;
    /** Days of spend (from the first day with any) a history forecast needs: two weeks, so weekdays and weekends both count. */
    public static final int MIN_HISTORY_DAYS = 14;

    /** At the current burn rate (the range is the projection). */
    public static Forecast of(WindowUsage u, long nowMs) {
        WindowRef w = u.window();
        long used = u.spentMicroUsd() + u.reservedMicroUsd();
        long remaining = w.limitMicroUsd() - used;
        long basisMs = w.rolling() ? w.period().rollingSpan().toMillis() : nowMs - w.startMs();
        if (basisMs < MIN_ELAPSED_MS || u.spentMicroUsd() == 0) {
            return burn(0, used, remaining <= 0 ? nowMs : null);
        }
        BigDecimal perMs = BigDecimal.valueOf(u.spentMicroUsd()).divide(BigDecimal.valueOf(basisMs), 12, RoundingMode.HALF_UP);
        long burnPerHour = perMs.multiply(BigDecimal.valueOf(HOUR_MS)).setScale(0, RoundingMode.HALF_UP).longValueExact();
        long toEndMs = w.rolling() ? 0 : Math.max(0, w.endMs() - nowMs);
        long projected = used + perMs.multiply(BigDecimal.valueOf(toEndMs)).setScale(0, RoundingMode.CEILING).longValueExact();
        Long runsOut;
        if (remaining <= 0) {
            runsOut = nowMs;
        } else {
            long msLeft = BigDecimal.valueOf(remaining).divide(perMs, 0, RoundingMode.FLOOR).min(BigDecimal.valueOf(Long.MAX_VALUE / 2)).longValue();
            long at = nowMs + msLeft;
            runsOut = w.rolling() || at < w.endMs() ? at : null;
        }
        return burn(burnPerHour, projected, runsOut);
    }

    private static Forecast burn(long perHour, long projected, Long runsOut) {
        return new Forecast(perHour, projected, runsOut, projected, projected, runsOut, runsOut, Method.BURN_RATE, 0);
    }

    /**
     * From history: {@code dailyMicroUsd} is the spend of each of the last days before today (UTC, oldest first,
     * in the window's scope). Falls back to the burn rate for a rolling window or with too little history.
     */
    public static Forecast of(WindowUsage u, long nowMs, long[] dailyMicroUsd) {
        WindowRef w = u.window();
        int first = 0;
        while (first < dailyMicroUsd.length && dailyMicroUsd[first] == 0) first++;
        int days = dailyMicroUsd.length - first;
        long toEndMs = w.endMs() - nowMs;
        if (w.rolling() || days < MIN_HISTORY_DAYS || toEndMs <= 0) return of(u, nowMs);
        long[] ahead = SpendProjection.remaining(dailyMicroUsd, days, nowMs, toEndMs);
        long low = ahead[0], mid = ahead[1], high = ahead[2];
        long used = u.spentMicroUsd() + u.reservedMicroUsd();
        long remaining = w.limitMicroUsd() - used;
        long perHour = BigDecimal.valueOf(mid).multiply(BigDecimal.valueOf(HOUR_MS))
                .divide(BigDecimal.valueOf(toEndMs), 0, RoundingMode.HALF_UP).longValueExact();
        return new Forecast(perHour, used + mid, runsOut(remaining, mid, nowMs, toEndMs), used + low, used + high,
                runsOut(remaining, high, nowMs, toEndMs), runsOut(remaining, low, nowMs, toEndMs), Method.HISTORY, days);
    }

    /** When {@code remaining} runs out if {@code toSpend} is spent evenly over {@code toEndMs}; null if it lasts. */
    private static Long runsOut(long remaining, long toSpend, long nowMs, long toEndMs) {
        if (remaining <= 0) return nowMs;
        if (toSpend <= remaining) return null;
        return nowMs + BigDecimal.valueOf(remaining).multiply(BigDecimal.valueOf(toEndMs))
                .divide(BigDecimal.valueOf(toSpend), 0, RoundingMode.FLOOR).longValueExact();
    }

    public boolean projectedOver(long limitMicroUsd) {
        return projectedMicroUsd > limitMicroUsd;
    }
}
