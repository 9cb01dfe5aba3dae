package io.budgetguard.budget;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.budgetguard.core.StoreUnavailableException;
import io.budgetguard.core.WindowScope;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The daily spend a window's forecast is made from: the last {@link #DAYS} full UTC days of its scope, summed by the
 * ledger database once per scope and day (past days do not change; today's spend is the window's own) and cached.
 */
public final class ForecastHistory {
    public static final int DAYS = 56;
    static final int MAX_CACHED = 10_000;

    private record Key(String tenantId, WindowScope scope, long day) {}

    private final SpendHistory ledger;
    private final Cache<Key, long[]> cache = Caffeine.newBuilder().maximumSize(MAX_CACHED)
            .expireAfterWrite(Duration.ofHours(1)).build();

    public ForecastHistory(SpendHistory ledger) {
        this.ledger = ledger;
    }

    /** Spend per day of the {@link #DAYS} days before today, oldest first. */
    public long[] daily(String tenantId, WindowScope scope, long nowMs) {
        long today = Math.floorDiv(nowMs, Forecast.DAY_MS);
        return cache.get(new Key(tenantId, scope, today), k -> {
            Map<Long, Long> perDay = ledger.spentPerBucket(tenantId, scope, (today - DAYS) * Forecast.DAY_MS, Forecast.DAY_MS, List.of());
            long[] out = new long[DAYS];
            for (int i = 0; i < DAYS; i++) out[i] = perDay.getOrDefault(today - DAYS + i, 0L);
            return out;
        });
    }

    /** The window's forecast from its history; from its burn rate when the ledger cannot be read. */
    public Forecast forecast(String tenantId, WindowUsage u, long nowMs) {
        if (u.window().rolling()) return Forecast.of(u, nowMs);
        try {
            return Forecast.of(u, nowMs, daily(tenantId, u.window().scope(), nowMs));
        } catch (StoreUnavailableException e) {
            return Forecast.of(u, nowMs);
        }
    }
}
