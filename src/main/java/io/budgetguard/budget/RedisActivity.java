package io.budgetguard.budget;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.params.ZAddParams;

/**
 * Which tenants had activity, in one sorted set (tenant → last active ms) for the whole deployment, outside the
 * tenants' slots (so outside the scripts): written before the admission it announces, at most once per
 * ACTIVE_MARK_INTERVAL_MS per tenant and gateway. A sentinel key tells the duties when the marks were lost.
 */
final class RedisActivity {
    static final String ACTIVE_TENANTS = "bg:active";
    /** Set once when missing: a new value means the marks (and everything else) were lost. */
    static final String ACTIVE_EPOCH = "bg:active:epoch";
    static final int MAX_MARKS_REMEMBERED = 100_000;
    /** A gateway tells Redis a tenant is active at most this often (the duties look back far longer). */
    static final long ACTIVE_MARK_INTERVAL_MS = 1_000;

    private final RedisStore redis;
    private final Map<String, Long> markedMs = new ConcurrentHashMap<>();

    RedisActivity(RedisStore redis) {
        this.redis = redis;
    }

    void mark(String tenantId, long nowMs) {
        Long last = markedMs.get(tenantId);
        if (last != null && nowMs - last < ACTIVE_MARK_INTERVAL_MS && nowMs >= last) return;
        redis.call(r -> r.zadd(ACTIVE_TENANTS, nowMs, tenantId, ZAddParams.zAddParams().gt()));
        if (markedMs.size() >= MAX_MARKS_REMEMBERED) markedMs.clear();
        markedMs.put(tenantId, nowMs);
    }

    List<String> since(long sinceMs, int max) {
        return redis.call(r -> r.zrangeByScore(ACTIVE_TENANTS, Long.toString(sinceMs), "+inf", 0, max));
    }

    void forgetBefore(long beforeMs) {
        redis.call(r -> r.zremrangeByScore(ACTIVE_TENANTS, "-inf", "(" + beforeMs));
    }

    String epoch() {
        String epoch = redis.call(r -> r.get(ACTIVE_EPOCH));
        if (epoch != null) return epoch;
        redis.call(r -> r.set(ACTIVE_EPOCH, Long.toHexString(new java.security.SecureRandom().nextLong()), SetParams.setParams().nx()));
        return redis.call(r -> r.get(ACTIVE_EPOCH));
    }
}
