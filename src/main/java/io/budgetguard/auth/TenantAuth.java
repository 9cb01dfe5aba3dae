package io.budgetguard.auth;

import com.sun.net.httpserver.Headers;
import io.budgetguard.http.ApiException;
import io.budgetguard.store.ApiKey;
import io.budgetguard.store.StoreUnavailableException;
import io.budgetguard.store.TenantStore;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Authenticates tenant requests by key hash. Lookups are cached for at most {@code ttlMs} (≤ 1 s), so a
 * revocation made on any gateway takes effect everywhere within that time; this process's own revocations
 * take effect at once. The cache is bounded and holds hashes only, never keys.
 */
public final class TenantAuth {
    public static final int MAX_CACHED_KEYS = 100_000;
    /** How long a key's last known state serves while the database is unreachable. */
    static final long STALE_MAX_NANOS = 3_600_000_000_000L;
    private static final int MAX_KEY_CHARS = 512;

    private record Cached(ApiKey key, long loadedNanos) {}

    private final TenantStore store;
    private final long ttlNanos;
    private final ConcurrentHashMap<String, Cached> byHash = new ConcurrentHashMap<>();
    private final io.budgetguard.store.OutageBreaker breaker = new io.budgetguard.store.OutageBreaker(1_000);

    public TenantAuth(TenantStore store, long ttlMs) {
        this.store = store;
        this.ttlNanos = ttlMs * 1_000_000L;
    }

    public Caller authenticate(Headers headers) {
        String key = presentedKey(headers);
        if (key == null) {
            throw ApiException.invalidApiKey("You didn't provide an API key. Send your BudgetGuard key as "
                    + "'Authorization: Bearer <key>' or 'X-API-Key: <key>'.");
        }
        ApiKey found = key.length() > MAX_KEY_CHARS ? null : lookup(KeyMaterial.hash(key));
        if (found == null || found.revoked()) {
            throw ApiException.invalidApiKey("Incorrect API key provided. Keys are issued by the BudgetGuard admin API.");
        }
        String tenantHeader = headers.getFirst("X-Tenant-Id");
        if (tenantHeader != null && !tenantHeader.equals(found.tenantId())) {
            throw ApiException.invalidApiKey("The X-Tenant-Id header does not match the tenant of this API key.");
        }
        return new Caller(found.tenantId(), found.id(), found.name());
    }

    /** Bearer wins over X-API-Key; blank values count as absent. */
    private static String presentedKey(Headers headers) {
        String auth = headers.getFirst("Authorization");
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String k = auth.substring(7).trim();
            if (!k.isEmpty()) return k;
        }
        String k = headers.getFirst("X-API-Key");
        return k == null || k.isBlank() ? null : k.trim();
    }

    private ApiKey lookup(String hash) {
        long now = System.nanoTime();
        Cached c = byHash.get(hash);
        if (c != null && now - c.loadedNanos() < ttlNanos) return c.key();
        // The database is down: keys this gateway has seen keep working on their last known state (the
        // counters in Redis still enforce every budget); unknown keys fail closed.
        boolean staleUsable = c != null && now - c.loadedNanos() < STALE_MAX_NANOS;
        if (staleUsable && breaker.open()) return c.key();
        Optional<ApiKey> fresh;
        try {
            fresh = store.findKeyByHash(hash);
        } catch (StoreUnavailableException e) {
            breaker.trip();
            if (staleUsable) return c.key();
            throw e;
        }
        if (byHash.size() >= MAX_CACHED_KEYS) byHash.clear();
        byHash.put(hash, new Cached(fresh.orElse(null), now));
        return fresh.orElse(null);
    }

    /** Forgets every cached lookup of this key id (called on revocation in this process). */
    public void forgetKey(String keyId) {
        byHash.values().removeIf(c -> c.key() != null && c.key().id().equals(keyId));
    }
}
