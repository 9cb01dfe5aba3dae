package io.budgetguard.budget;

import io.budgetguard.core.Reservation;
import io.budgetguard.core.UsageEvent;

/**
 * Tokens per minute in-process, under the tenant's lock: the tenant's and its key's sliding minutes of tokens (the
 * same 1-second buckets as requests). A request counts its reserved tokens when admitted; its settle replaces them by
 * what it used, in the bucket it was admitted in (a bucket already out of the minute is left alone).
 */
record TokenRates(BucketedSum tenant, BucketedSum key) {
    static TokenRates of(EmbeddedTenant t, Reservation p, RateLimits limits) {
        BucketedSum tenant = limits.tokensPerMin() > 0 ? t.tokens() : null;
        BucketedSum key = limits.keyTokensPerMin() > 0 ? t.keyTokens.computeIfAbsent(p.apiKeyId(),
                k -> new BucketedSum(EmbeddedCounters.RATE_BUCKET_MS, EmbeddedCounters.RATE_BUCKETS)) : null;
        return new TokenRates(tenant, key);
    }

    /** The refusal when the reserved tokens do not fit a minute, else null. */
    Admission refusal(Reservation p, RateLimits limits, long nowMs) {
        if (tenant != null && tenant.roll(nowMs) + p.reservedTokens() > limits.tokensPerMin()) {
            return refused(tenant, limits.tokensPerMin(), false, nowMs);
        }
        if (key != null && key.roll(nowMs) + p.reservedTokens() > limits.keyTokensPerMin()) {
            return refused(key, limits.keyTokensPerMin(), true, nowMs);
        }
        return null;
    }

    private static Admission refused(BucketedSum sum, long limit, boolean keyLevel, long nowMs) {
        long retry = Math.max(EmbeddedCounters.RATE_BUCKET_MS, sum.msUntilOldestLeaves(nowMs));
        return new Admission.RateLimited(new RateState((int) Math.min(Integer.MAX_VALUE, limit), 0, retry), retry, keyLevel, true);
    }

    /** Counts the reserved tokens; the token state of the tighter limit that applies (null when none). */
    RateState count(Reservation p, RateLimits limits, long nowMs) {
        RateState state = null;
        if (tenant != null) {
            tenant.add(nowMs, nowMs, p.reservedTokens());
            state = state(tenant, limits.tokensPerMin(), nowMs);
        }
        if (key != null) {
            key.add(nowMs, nowMs, p.reservedTokens());
            RateState k = state(key, limits.keyTokensPerMin(), nowMs);
            if (state == null || k.remaining() < state.remaining()) state = k;
        }
        return state;
    }

    private static RateState state(BucketedSum sum, long limit, long nowMs) {
        long remaining = Math.max(0, limit - sum.roll(nowMs));
        return new RateState((int) Math.min(Integer.MAX_VALUE, limit), (int) Math.min(Integer.MAX_VALUE, remaining),
                EmbeddedCounters.RATE_BUCKET_MS * (EmbeddedCounters.RATE_BUCKETS + 1));
    }

    /** Under the lock, at settle: the reserved tokens become the used ones (an expiry keeps the reservation's). */
    static void settle(EmbeddedTenant t, Reservation r, UsageEvent event, long nowMs) {
        if (r.reservedTokens() == 0 || event == null || event.status() == UsageEvent.Status.EXPIRED) return;
        long delta = used(event) - r.reservedTokens();
        for (BucketedSum sum : new BucketedSum[] {t.tokensOrNull(), t.keyTokens.get(r.apiKeyId())}) {
            if (sum != null && sum.holds(nowMs, r.createdMs())) sum.add(nowMs, r.createdMs(), delta);
        }
    }

    static long used(UsageEvent e) {
        return e.promptTokens() + e.completionTokens();
    }
}
