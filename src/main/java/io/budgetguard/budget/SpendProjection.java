package io.budgetguard.budget;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Arrays;

/**
 * What a scope will spend over the rest of a window, from its daily history: each remaining day at its weekday's
 * typical spend over the last four weeks (the mean of the middle two of the four: one spike does not move it), and a
 * 10th to 90th percentile range (a normal band of 1.2816 sigma) from how far single days strayed from that profile
 * (independent from day to day) and how far whole weeks strayed from each other (a level that holds for every day
 * ahead). In micro-USD; decimals only inside.
 */
final class SpendProjection {
    static final long DAY_MS = 86_400_000;
    private static final MathContext MC = MathContext.DECIMAL64;
    private static final BigDecimal Z90 = new BigDecimal("1.2816");
    static final int PROFILE_WEEKS = 4;

    private SpendProjection() {}

    /** {low, mid, high} micro-USD to be spent from {@code nowMs} for {@code toEndMs}; {@code daily} oldest first, ending yesterday. */
    static long[] remaining(long[] daily, int days, long nowMs, long toEndMs) {
        int n = daily.length;
        long today = Math.floorDiv(nowMs, DAY_MS);
        int weeks = Math.min(PROFILE_WEEKS, days / 7);
        long[] profile = new long[7];
        for (int w = 0; w < 7; w++) {
            long[] same = new long[weeks];
            for (int k = 0; k < weeks; k++) same[k] = daily[n - 1 - w - 7 * k];
            profile[weekday(today - 1 - w)] = typical(same);
        }
        BigDecimal dayVariance = BigDecimal.ZERO;
        for (int i = n - 7 * weeks; i < n; i++) {
            BigDecimal r = BigDecimal.valueOf(daily[i] - profile[weekday(today - n + i)]);
            dayVariance = dayVariance.add(r.multiply(r));
        }
        dayVariance = dayVariance.divide(BigDecimal.valueOf(7L * weeks), MC);
        BigDecimal[] weekly = new BigDecimal[weeks];
        for (int k = 0; k < weeks; k++) {
            long sum = 0;
            for (int i = n - 7 * (k + 1); i < n - 7 * k; i++) sum += daily[i];
            weekly[k] = BigDecimal.valueOf(sum);
        }
        BigDecimal levelSdPerDay = sd(weekly).divide(BigDecimal.valueOf(7), MC);
        BigDecimal mid = BigDecimal.ZERO, horizonDays = BigDecimal.ZERO;
        long endMs = nowMs + toEndMs;
        for (long d = today; d * DAY_MS < endMs; d++) {
            long from = Math.max(nowMs, d * DAY_MS), to = Math.min(endMs, (d + 1) * DAY_MS);
            BigDecimal share = BigDecimal.valueOf(to - from).divide(BigDecimal.valueOf(DAY_MS), MC);
            mid = mid.add(BigDecimal.valueOf(profile[weekday(d)]).multiply(share));
            horizonDays = horizonDays.add(share);
        }
        BigDecimal sigma = dayVariance.multiply(horizonDays).add(levelSdPerDay.multiply(horizonDays).pow(2)).sqrt(MC);
        BigDecimal band = sigma.multiply(Z90);
        return new long[] {micro(mid.subtract(band).max(BigDecimal.ZERO)), micro(mid), micro(mid.add(band))};
    }

    /** The mean of the middle values (all of them below three). */
    private static long typical(long[] values) {
        long[] v = values.clone();
        Arrays.sort(v);
        int from = v.length >= 3 ? 1 : 0, to = v.length >= 3 ? v.length - 1 : v.length;
        long sum = 0;
        for (int i = from; i < to; i++) sum += v[i];
        return sum / (to - from);
    }

    private static BigDecimal sd(BigDecimal[] y) {
        if (y.length < 2) return BigDecimal.ZERO;
        BigDecimal mean = BigDecimal.ZERO;
        for (BigDecimal v : y) mean = mean.add(v);
        mean = mean.divide(BigDecimal.valueOf(y.length), MC);
        BigDecimal sq = BigDecimal.ZERO;
        for (BigDecimal v : y) sq = sq.add(v.subtract(mean).pow(2));
        return sq.divide(BigDecimal.valueOf(y.length - 1), MC).sqrt(MC);
    }

    /** The day of the week as a number 0 to 6 (0 = Thursday, 1970-01-01): only equality matters. */
    private static int weekday(long epochDay) {
        return (int) Math.floorMod(epochDay, 7);
    }

    private static long micro(BigDecimal v) {
        return v.setScale(0, RoundingMode.HALF_UP).longValueExact();
    }
}
