package io.budgetguard.budget;

import io.budgetguard.core.WindowScope;
import java.util.Collection;
import java.util.Map;

/**
 * The ledger as the counters see it: settled spend to rebuild windows from, and (for the in-process counters)
 * where a settled request's row is written.
 */
public interface SpendHistory {
    /** Spend in {@code scope} of requests started in [fromMs, toMs), leaving out the requests in {@code excludedIds}. */
    long spentMicroUsd(String tenantId, WindowScope scope, long fromMs, long toMs, Collection<String> excludedIds);

    /**
     * Spend in {@code scope} of requests started at or after {@code fromMs}, summed per bucket index
     * (floor(started / bucketMs)) by the database, leaving out the requests in {@code excludedIds}.
     */
    Map<Long, Long> spentPerBucket(String tenantId, WindowScope scope, long fromMs, long bucketMs, Collection<String> excludedIds);

    /** Writes the settled request's row; returns once it is durable (false when it existed already). */
    boolean append(io.budgetguard.core.UsageEvent event);
}
