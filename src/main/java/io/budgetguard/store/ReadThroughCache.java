package io.budgetguard.store;

import io.budgetguard.core.StoreUnavailableException;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Database lookups on the hot path, cached for at most {@code ttlMs} (absence cached too), bounded in size by
 * Caffeine (the coldest entries go first). One load per key at a time: concurrent callers of a key that is missing or
 * due wait for the same load (a burst with one unknown key makes one database read). While the database is down a
 * cached value up to {@link #STALE_MAX_NANOS} old is served instead, without waiting out a connection timeout on every
 * call (an {@link OutageBreaker}); with nothing usable cached the outage propagates (fail closed).
 */
public final class ReadThroughCache<V> {
    /** How long a last known value serves while the database is unreachable. */
    static final long STALE_MAX_NANOS = 3_600_000_000_000L;

    private record Cached<V>(V value, long loadedNanos) {}

    private final long ttlNanos;
    private final boolean staleAbsenceUsable;
    private final Cache<String, Cached<V>> entries;
    private final ConcurrentHashMap<String, CompletableFuture<Cached<V>>> loading = new ConcurrentHashMap<>();
    private final AtomicInteger waiting = new AtomicInteger();
    private final OutageBreaker breaker = new OutageBreaker(1_000);

    /** @param staleAbsenceUsable whether a cached "not found" may also be served during an outage */
    public ReadThroughCache(long ttlMs, int maxEntries, boolean staleAbsenceUsable) {
        this.ttlNanos = ttlMs * 1_000_000L;
        this.staleAbsenceUsable = staleAbsenceUsable;
        this.entries = Caffeine.newBuilder().maximumSize(maxEntries).executor(Runnable::run).build();
    }

    public Optional<V> get(String key, Function<String, Optional<V>> load) {
        long now = System.nanoTime();
        Cached<V> c = entries.getIfPresent(key);
        if (c != null && now - c.loadedNanos() < ttlNanos) return Optional.ofNullable(c.value());
        boolean staleUsable = c != null && (c.value() != null || staleAbsenceUsable) && now - c.loadedNanos() < STALE_MAX_NANOS;
        if (staleUsable && breaker.open()) return Optional.ofNullable(c.value());
        try {
            return Optional.ofNullable(loadOnce(key, load).value());
        } catch (StoreUnavailableException e) {
            breaker.trip();
            if (staleUsable) return Optional.ofNullable(c.value());
            throw e;
        }
    }

    /** Loads {@code key}, or waits for the load another caller already started. */
    private Cached<V> loadOnce(String key, Function<String, Optional<V>> load) {
        CompletableFuture<Cached<V>> mine = new CompletableFuture<>();
        CompletableFuture<Cached<V>> running = loading.putIfAbsent(key, mine);
        if (running != null) {
            waiting.incrementAndGet();
            try {
                return running.join();
            } catch (CompletionException e) {
                if (e.getCause() instanceof RuntimeException re) throw re;
                throw e;
            } finally {
                waiting.decrementAndGet();
            }
        }
        try {
            long started = System.nanoTime();
            Cached<V> fresh = new Cached<>(load.apply(key).orElse(null), started);
            entries.put(key, fresh);
            mine.complete(fresh);
            return fresh;
        } catch (RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            loading.remove(key, mine);
        }
    }

    /** Callers waiting right now for a load another caller started (for tests of single-flight loading). */
    int waitingForLoads() {
        return waiting.get();
    }

    public void forget(String key) {
        entries.invalidate(key);
    }

    /** Forgets every cached value that matches (this process's own revocations). */
    public void forgetIf(java.util.function.Predicate<V> match) {
        entries.asMap().values().removeIf(c -> c.value() != null && match.test(c.value()));
    }
}
