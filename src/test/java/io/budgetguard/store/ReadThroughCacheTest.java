package io.budgetguard.store;

import io.budgetguard.core.StoreUnavailableException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The hot-path cache of keys and tenants: one load per key at a time, bounded without forgetting everything. */
class ReadThroughCacheTest {
    @Test
    void aThousandConcurrentLookupsOfOneUnknownKeyMakeOneDatabaseRead() throws Exception {
        ReadThroughCache<String> cache = new ReadThroughCache<>(60_000, 1_000, true);
        AtomicInteger reads = new AtomicInteger();
        List<Future<Optional<String>>> lookups = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 1_000; i++) {
                lookups.add(threads.submit(() -> cache.get("bg_unknown", k -> {
                    reads.incrementAndGet();
                    // The read stays open until every other caller is waiting for it (bounded: 30 s).
                    for (int w = 0; w < 3_000 && cache.waitingForLoads() < 999; w++) sleep();
                    return Optional.empty();
                })));
            }
            for (Future<Optional<String>> f : lookups) assertTrue(f.get().isEmpty());
        }
        assertEquals(1, reads.get(), "one database read for the whole burst");
    }

    @Test
    void aFailedLoadFailsItsWaitersAndTheNextCallerLoadsAgain() {
        ReadThroughCache<String> cache = new ReadThroughCache<>(60_000, 10, true);
        assertThrows(StoreUnavailableException.class, () -> cache.get("k", k -> {
            throw new StoreUnavailableException("down", null);
        }));
        assertEquals(Optional.of("v"), cache.get("k", k -> Optional.of("v")), "nothing was cached for the failure");
    }

    @Test
    void aFullCacheEvictsColdEntriesAndKeepsAHotOne() {
        ReadThroughCache<String> cache = new ReadThroughCache<>(60_000, 100, true);
        AtomicInteger hotReads = new AtomicInteger();
        for (int i = 0; i < 50; i++) cache.get("hot", k -> Optional.of("h" + hotReads.incrementAndGet()));
        for (int i = 0; i < 1_000; i++) {
            cache.get("cold-" + i, k -> Optional.of(k));
            cache.get("hot", k -> Optional.of("h" + hotReads.incrementAndGet()));
        }
        assertEquals(1, hotReads.get(), "the hot key was never dropped (the old cache cleared everything when full)");
    }

    private static void sleep() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
