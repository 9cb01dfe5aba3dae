package io.budgetguard.store;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tenants as the hot path reads them: cached for at most {@code ttlMs} (≤ 1 s), so budget and rate-limit
 * changes made on any gateway take effect everywhere within that time; this process's own changes at once.
 */
public final class TenantDirectory {
    public static final int MAX_CACHED_TENANTS = 100_000;
    /** How long a tenant's last known state serves while the database is unreachable. */
    static final long STALE_MAX_NANOS = 3_600_000_000_000L;

    private record Cached(Tenant tenant, long loadedNanos) {}

    private final TenantStore store;
    private final long ttlNanos;
    private final ConcurrentHashMap<String, Cached> byId = new ConcurrentHashMap<>();
    private final OutageBreaker breaker = new OutageBreaker(1_000);

    public TenantDirectory(TenantStore store, long ttlMs) {
        this.store = store;
        this.ttlNanos = ttlMs * 1_000_000L;
    }

    public Optional<Tenant> get(String id) {
        long now = System.nanoTime();
        Cached c = byId.get(id);
        if (c != null && now - c.loadedNanos() < ttlNanos) return Optional.ofNullable(c.tenant());
        // Database down: serve the tenant's last known budgets (Redis enforces them); fail closed otherwise.
        boolean staleUsable = c != null && c.tenant() != null && now - c.loadedNanos() < STALE_MAX_NANOS;
        if (staleUsable && breaker.open()) return Optional.of(c.tenant());
        Optional<Tenant> fresh;
        try {
            fresh = store.find(id);
        } catch (StoreUnavailableException e) {
            breaker.trip();
            if (staleUsable) return Optional.of(c.tenant());
            throw e;
        }
        if (byId.size() >= MAX_CACHED_TENANTS) byId.clear();
        byId.put(id, new Cached(fresh.orElse(null), now));
        return fresh;
    }

    public void forget(String id) {
        byId.remove(id);
    }
}
