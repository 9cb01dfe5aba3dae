package io.budgetguard.budget;

/**
 * A sliding sum over the last {@code buckets} buckets plus the current one (so the counted span always covers
 * the exact window: it over-counts by up to one bucket, never under-counts). Eviction is amortised O(1) and
 * never loops more than buckets + 1 times. Not thread-safe: guarded by its owner's lock. Mirrors the bucket
 * logic of the Redis scripts.
 */
final class BucketedSum {
    private final long bucketMs;
    private final int buckets;
    private final long[] ring;
    private long lo = Long.MIN_VALUE;
    private long sum;

    BucketedSum(long bucketMs, int buckets) {
        if (bucketMs <= 0 || buckets <= 0) throw new IllegalStateException("bucket size and count must be positive");
        this.bucketMs = bucketMs;
        this.buckets = buckets;
        this.ring = new long[buckets + 1];
    }

    long bucketOf(long ms) {
        return Math.floorDiv(ms, bucketMs);
    }

    /** Drops buckets that left the window ending at {@code nowMs}; returns the sum of what remains. */
    long roll(long nowMs) {
        long idx = bucketOf(nowMs);
        long minIdx = idx - buckets;
        if (lo == Long.MIN_VALUE) {
            lo = minIdx;
            return sum;
        }
        if (lo < minIdx) {
            long last = Math.min(minIdx - 1, lo + buckets);
            for (long i = lo; i <= last; i++) {
                int slot = slot(i);
                sum -= ring[slot];
                ring[slot] = 0;
            }
            lo = minIdx;
        }
        if (sum < 0) throw new IllegalStateException("bucketed sum went negative: " + sum);
        return sum;
    }

    /** Adds to the bucket of {@code atMs}, or to the oldest bucket still counted when that one already left. */
    void add(long nowMs, long atMs, long amount) {
        roll(nowMs);
        long idx = Math.max(bucketOf(atMs), lo);
        idx = Math.min(idx, bucketOf(nowMs));
        ring[slot(idx)] += amount;
        sum += amount;
    }

    /** Whether the bucket of {@code atMs} is still in the window (a correction to it is still counted). */
    boolean holds(long nowMs, long atMs) {
        roll(nowMs);
        return bucketOf(atMs) >= lo && bucketOf(atMs) <= bucketOf(nowMs);
    }

    /** Milliseconds until the oldest non-empty bucket leaves the window (0 when empty). */
    long msUntilOldestLeaves(long nowMs) {
        roll(nowMs);
        for (long i = lo; i <= bucketOf(nowMs); i++) {
            if (ring[slot(i)] > 0) return Math.max(0, (i + buckets + 1) * bucketMs - nowMs);
        }
        return 0;
    }

    long sum() {
        return sum;
    }

    private int slot(long idx) {
        return (int) Math.floorMod(idx, (long) ring.length);
    }
}
