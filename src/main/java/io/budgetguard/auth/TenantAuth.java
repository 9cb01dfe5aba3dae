package io.budgetguard.auth;

import com.sun.net.httpserver.Headers;
import io.budgetguard.http.ApiException;
import io.budgetguard.tenant.ApiKey;
import io.budgetguard.store.ReadThroughCache;
import io.budgetguard.tenant.TenantStore;
import java.util.List;

/**
 * Authenticates tenant requests by key hash. Lookups are cached for at most {@code ttlMs} (≤ 1 s), so a
 * revocation made on any gateway takes effect everywhere within that time; this process's own revocations
 * take effect at once. The cache is bounded and holds hashes only, never keys. While the database is down,
 * keys this gateway has seen keep working on their last known state (Redis still enforces every budget);
 * unknown keys fail closed.
 */
public final class TenantAuth {
    public static final int MAX_CACHED_KEYS = 100_000;
    private static final int MAX_KEY_CHARS = 512;

    private final TenantStore store;
    private final java.time.Clock clock;
    /** By key hash; a cached "unknown key" may also serve during an outage (it stays refused). */
    private final ReadThroughCache<ApiKey> cache;

    public TenantAuth(TenantStore store, long ttlMs, java.time.Clock clock) {
        this.store = store;
        this.clock = clock;
        this.cache = new ReadThroughCache<>(ttlMs, MAX_CACHED_KEYS, true);
    }

    public Caller authenticate(Headers headers) {
        return authenticate(headers, null);
    }

    /**
     * The caller of a request, by the key it presents in whichever place its SDK puts it: {@code Authorization:
     * Bearer} (OpenAI, Mistral), {@code X-API-Key} (Anthropic), {@code api-key} (Azure), {@code x-goog-api-key} or the
     * {@code key} query parameter (Gemini). The key is the tenant's BudgetGuard key, never the provider's.
     */
    public Caller authenticate(Headers headers, String rawQuery) {
        String key = presentedKey(headers);
        if (key == null) key = queryKey(rawQuery);
        if (key == null) {
            throw ApiException.invalidApiKey("You didn't provide an API key. Send your BudgetGuard key as "
                    + "'Authorization: Bearer <key>', 'X-API-Key', 'api-key' or 'x-goog-api-key'.");
        }
        ApiKey found = key.length() > MAX_KEY_CHARS ? null : lookup(KeyMaterial.hash(key));
        if (found == null || found.revoked()) {
            throw ApiException.invalidApiKey("Incorrect API key provided. Keys are issued by the BudgetGuard admin API.");
        }
        java.time.Instant now = clock.instant();
        if (!found.usableAt(now)) {
            throw ApiException.invalidApiKey(found.secretValidUntil() != null && !now.isBefore(found.secretValidUntil())
                    ? "This API key was rotated and its grace period is over; use the new key."
                    : "This API key expired at " + found.controls().expiresAt() + ".");
        }
        String tenantHeader = headers.getFirst("X-Tenant-Id");
        if (tenantHeader != null && !tenantHeader.equals(found.tenantId())) {
            throw ApiException.invalidApiKey("The X-Tenant-Id header does not match the tenant of this API key.");
        }
        return new Caller(found.tenantId(), found.id(), found.name(), found.controls());
    }

    /** Bearer wins over X-API-Key; blank values count as absent. */
    private static String presentedKey(Headers headers) {
        String auth = headers.getFirst("Authorization");
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String k = auth.substring(7).trim();
            if (!k.isEmpty()) return k;
        }
        for (String name : KEY_HEADERS) {
            String k = headers.getFirst(name);
            if (k != null && !k.isBlank()) return k.trim();
        }
        return null;
    }

    private static final List<String> KEY_HEADERS = List.of("X-API-Key", "api-key", "x-goog-api-key");

    /** Gemini's {@code ?key=}: the first one, percent-decoded; null when absent. */
    private static String queryKey(String rawQuery) {
        if (rawQuery == null) return null;
        for (String pair : rawQuery.split("&", 64)) {
            if (!pair.startsWith("key=")) continue;
            try {
                String v = java.net.URLDecoder.decode(pair.substring(4), java.nio.charset.StandardCharsets.UTF_8);
                return v.isBlank() ? null : v.trim();
            } catch (IllegalArgumentException badEscape) {
                return null;
            }
        }
        return null;
    }

    private ApiKey lookup(String hash) {
        return cache.get(hash, store::findKeyByHash).orElse(null);
    }

    /** Forgets every cached lookup of this key id (called on revocation in this process). */
    public void forgetKey(String keyId) {
        cache.forgetIf(k -> k.id().equals(keyId));
    }
}
