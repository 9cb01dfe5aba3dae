package io.budgetguard.budget;

import io.budgetguard.core.WindowRef;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Where a window is heading at its recent burn rate: spend per hour so far, the projected spend at the window's
 * end, and when the budget would run out. Calendar windows burn at spend / time elapsed in the window;
 * rolling windows at spend / span (their steady state is the current sum).
 */
public record Forecast(long burnMicroUsdPerHour, long projectedMicroUsd, Long runsOutAtMs) {
    /** Below this much elapsed time a rate is noise: the projection is just what is spent and reserved. */
    static final long MIN_ELAPSED_MS = 60_000;
    private static final long HOUR_MS = 3_600_000;

    public static Forecast of(WindowUsage u, long nowMs) {
        WindowRef w = u.window();
        long used = u.spentMicroUsd() + u.reservedMicroUsd();
        long remaining = w.limitMicroUsd() - used;
        long basisMs = w.rolling() ? w.period().rollingSpan().toMillis() : nowMs - w.startMs();
        if (basisMs < MIN_ELAPSED_MS || u.spentMicroUsd() == 0) {
            return new Forecast(0, used, remaining <= 0 ? nowMs : null);
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
        return new Forecast(burnPerHour, projected, runsOut);
    }

    public boolean projectedOver(long limitMicroUsd) {
        return projectedMicroUsd > limitMicroUsd;
    }
}
