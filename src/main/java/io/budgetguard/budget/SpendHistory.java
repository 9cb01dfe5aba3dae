package io.budgetguard.budget;

/** Settled spend as the ledger knows it: what counters are rebuilt from when they are missing. */
public interface SpendHistory {
    /** Spend of requests started in [fromMs, toMs). */
    long spentMicroUsd(String tenantId, long fromMs, long toMs);

    /** Spend of requests started at or after {@code fromMs}, summed per bucket index (floor(started / bucketMs)). */
    java.util.Map<Long, Long> spentPerBucket(String tenantId, long fromMs, long bucketMs);
}
