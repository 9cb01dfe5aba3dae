package io.budgetguard.store;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Database lookups on the hot path, cached for at most {@code ttlMs} (absence cached too), bounded in size.
 * While the database is down a cached value up to {@link #STALE_MAX_NANOS} old is served instead, without
 * waiting out a connection timeout on every call (an {@link OutageBreaker}); with nothing usable cached the
 * outage propagates (fail closed).
 */
public final class ReadThroughCache<V> {
    /** How long a last known value serves while the database is unreachable. */
    static final long STALE_MAX_NANOS = 3_600_000_000_000L;

    private record Cached<V>(V value, long loadedNanos) {}

    private final long ttlNanos;
    private final int maxEntries;
    private final boolean staleAbsenceUsable;
    private final ConcurrentHashMap<String, Cached<V>> entries = new ConcurrentHashMap<>();
    private final OutageBreaker breaker = new OutageBreaker(1_000);

    /** @param staleAbsenceUsable whether a cached "not found" may also be served during an outage */
    public ReadThroughCache(long ttlMs, int maxEntries, boolean staleAbsenceUsable) {
        this.ttlNanos = ttlMs * 1_000_000L;
        this.maxEntries = maxEntries;
        this.staleAbsenceUsable = staleAbsenceUsable;
    }

    public Optional<V> get(String key, Function<String, Optional<V>> load) {
        long now = System.nanoTime();
        Cached<V> c = entries.get(key);
        if (c != null && now - c.loadedNanos() < ttlNanos) return Optional.ofNullable(c.value());
        boolean staleUsable = c != null && (c.value() != null || staleAbsenceUsable) && now - c.loadedNanos() < STALE_MAX_NANOS;
        if (staleUsable && breaker.open()) return Optional.ofNullable(c.value());
        Optional<V> fresh;
        try {
            fresh = load.apply(key);
        } catch (StoreUnavailableException e) {
            breaker.trip();
            if (staleUsable) return Optional.ofNullable(c.value());
            throw e;
        }
        if (entries.size() >= maxEntries) entries.clear();
        entries.put(key, new Cached<>(fresh.orElse(null), now));
        return fresh;
    }

    public void forget(String key) {
        entries.remove(key);
    }

    /** Forgets every cached value that matches (this process's own revocations). */
    public void forgetIf(java.util.function.Predicate<V> match) {
        entries.values().removeIf(c -> c.value() != null && match.test(c.value()));
    }
}
