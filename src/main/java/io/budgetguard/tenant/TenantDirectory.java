package io.budgetguard.tenant;

import io.budgetguard.store.ReadThroughCache;

import java.util.Optional;

/**
 * Tenants as the hot path reads them: cached for at most {@code ttlMs} (≤ 1 s), so budget and rate-limit
 * changes made on any gateway take effect everywhere within that time; this process's own changes at once.
 * While the database is down a tenant's last known budgets serve (Redis enforces them); unknown tenants fail
 * closed.
 */
public final class TenantDirectory {
    public static final int MAX_CACHED_TENANTS = 100_000;

    private final TenantStore store;
    private final ReadThroughCache<Tenant> cache;

    public TenantDirectory(TenantStore store, long ttlMs) {
        this.store = store;
        this.cache = new ReadThroughCache<>(ttlMs, MAX_CACHED_TENANTS, false);
    }

    public Optional<Tenant> get(String id) {
        return cache.get(id, store::find);
    }

    public void forget(String id) {
        cache.forget(id);
    }
}
