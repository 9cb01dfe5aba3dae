package io.budgetguard.store;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tenants as the hot path reads them: cached for at most {@code ttlMs} (≤ 1 s), so budget and rate-limit
 * changes made on any gateway take effect everywhere within that time; this process's own changes at once.
 */
public final class TenantDirectory {
    public static final int MAX_CACHED_TENANTS = 100_000;

    private record Cached(Tenant tenant, long loadedNanos) {}

    private final TenantStore store;
    private final long ttlNanos;
    private final ConcurrentHashMap<String, Cached> byId = new ConcurrentHashMap<>();

    public TenantDirectory(TenantStore store, long ttlMs) {
        this.store = store;
        this.ttlNanos = ttlMs * 1_000_000L;
    }

    public Optional<Tenant> get(String id) {
        long now = System.nanoTime();
        Cached c = byId.get(id);
        if (c != null && now - c.loadedNanos() < ttlNanos) return Optional.ofNullable(c.tenant());
        Optional<Tenant> fresh = store.find(id);
        if (byId.size() >= MAX_CACHED_TENANTS) byId.clear();
        byId.put(id, new Cached(fresh.orElse(null), now));
        return fresh;
    }

    public void forget(String id) {
        byId.remove(id);
    }
}
