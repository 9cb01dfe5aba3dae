package io.budgetguard.budget;

import io.budgetguard.core.Reservation;
import io.budgetguard.core.StoreUnavailableException;
import io.budgetguard.core.UsageEvent;
import io.budgetguard.core.UsageEventJson;
import io.budgetguard.core.WindowRef;
import io.budgetguard.log.JsonLog;
import java.util.ArrayList;
import java.util.List;

/**
 * Counters in Redis, shared by any number of gateways: admission and settle are each one Lua script run by
 * EVALSHA (one round trip). Every key of a tenant carries the hash tag {tenantId}, so each script touches one
 * Redis Cluster slot. Windows missing from Redis (first use, or Redis restarted empty) are rebuilt from the ledger.
 */
public final class RedisCounters implements SpendCounters {
    static final long RATE_KEY_TTL_MS = 120_000;
    static final int MAX_ADMIT_ATTEMPTS = 3;

    private final RedisStore redis;
    private final SpendHistory history;
    private final long graceMs;
    private final RedisActivity activity;
    private final RedisWindowRebuild rebuilds;
    private final RedisStore.Script admit = RedisStore.script("lib.lua", "admit.lua");
    private final RedisStore.Script settle = RedisStore.script("lib.lua", "settle.lua");
    private final RedisStore.Script usage = RedisStore.script("lib.lua", "usage.lua");
    private final RedisStore.Script tokens = RedisStore.script("lib.lua", "tokens.lua");

    public RedisCounters(RedisStore redis, SpendHistory history, long graceMs) {
        this.redis = redis;
        this.history = history;
        this.graceMs = graceMs;
        this.activity = new RedisActivity(redis);
        this.rebuilds = new RedisWindowRebuild(redis, history, graceMs);
    }

    /** The connection, for the ledger stream's consumer (which shares it). */
    public RedisStore store() {
        return redis;
    }

    static String windowKey(String tenantId, WindowRef w) {
        return RedisStore.key(tenantId, "w:" + w.id());
    }

    @Override
    public Admission admit(Reservation p, RateLimits limits, long nowMs) {
        int rateLimitPerMin = limits.requestsPerMin();
        int keyRateLimitPerMin = limits.keyRequestsPerMin();
        markActive(p.tenantId(), nowMs);
        List<String> keys = new ArrayList<>(3 + p.windows().size());
        keys.add(RedisStore.key(p.tenantId(), "rate"));
        keys.add(RedisStore.key(p.tenantId(), "res"));
        keys.add(RedisStore.key(p.tenantId(), "dl"));
        if (keyRateLimitPerMin > 0) keys.add(RedisStore.key(p.tenantId(), "krate:" + p.apiKeyId()));
        if (limits.tokensPerMin() > 0) keys.add(tokenKey(p.tenantId()));
        if (limits.keyTokensPerMin() > 0) keys.add(keyTokenKey(p.tenantId(), p.apiKeyId()));
        List<String> args = new ArrayList<>(9 + 5 * p.windows().size());
        args.add(Long.toString(nowMs));
        args.add(p.id());
        args.add(Long.toString(p.estimateMicroUsd()));
        args.add(Integer.toString(rateLimitPerMin));
        args.add(Long.toString(EmbeddedCounters.RATE_BUCKET_MS));
        args.add(Integer.toString(EmbeddedCounters.RATE_BUCKETS));
        args.add(Long.toString(p.deadlineMs()));
        args.add(ReservationPayload.write(p));
        args.add(Long.toString(RATE_KEY_TTL_MS));
        args.add(Integer.toString(Math.max(0, keyRateLimitPerMin)));
        args.add(Long.toString(limits.tokensPerMin()));
        args.add(Long.toString(limits.keyTokensPerMin()));
        args.add(Long.toString(p.reservedTokens()));
        for (WindowRef w : p.windows()) {
            keys.add(windowKey(p.tenantId(), w));
            args.add(Long.toString(w.limitMicroUsd()));
            args.add(w.rolling() ? "r" : "c");
            args.add(Long.toString(w.bucketMs()));
            args.add(Integer.toString(WindowRef.ROLLING_BUCKETS));
            args.add(Long.toString(RedisWindowRebuild.expireAt(w, nowMs, graceMs)));
        }
        for (int attempt = 0; attempt < MAX_ADMIT_ATTEMPTS; attempt++) {
            List<?> r = (List<?>) redis.eval(admit, keys, args);
            String verdict = RedisStore.str(r.get(0));
            int remaining;
            switch (verdict) {
                case "OK" -> {
                    remaining = Integer.parseInt(RedisStore.str(r.get(1)));
                    long tokensLeft = Long.parseLong(RedisStore.str(r.get(2)));
                    return new Admission.Admitted(p, new RateState(rateLimitPerMin, remaining, rateResetMs()),
                            tokensLeft < 0 ? null : tokenState(limits, tokensLeft));
                }
                case "RATE" -> {
                    return rateLimited(RedisStore.str(r.get(2)), Long.parseLong(RedisStore.str(r.get(1))), limits);
                }
                case "BUDGET" -> {
                    WindowRef w = p.windows().get(Integer.parseInt(RedisStore.str(r.get(1))) - 1);
                    remaining = Integer.parseInt(RedisStore.str(r.get(4)));
                    return new Admission.OverBudget(w, Long.parseLong(RedisStore.str(r.get(2))), Long.parseLong(RedisStore.str(r.get(3))),
                            new RateState(rateLimitPerMin, remaining, rateResetMs()));
                }
                case "MISSING" -> {
                    List<WindowRef> missing = new ArrayList<>();
                    for (int i = 1; i < r.size(); i++) missing.add(p.windows().get(Integer.parseInt(RedisStore.str(r.get(i))) - 1));
                    rebuilds.rebuild(p.tenantId(), missing, nowMs);
                }
                default -> throw new IllegalStateException("admit.lua answered " + verdict);
            }
        }
        throw new IllegalStateException("budget windows of " + p.tenantId() + " still missing after " + MAX_ADMIT_ATTEMPTS + " rebuilds");
    }

    /** The refusal of the limit the script names: a request or token limit, the tenant's or the key's. */
    private static Admission rateLimited(String level, long retry, RateLimits limits) {
        long limit = switch (level) {
            case "key" -> limits.keyRequestsPerMin();
            case "tenant_tokens" -> limits.tokensPerMin();
            case "key_tokens" -> limits.keyTokensPerMin();
            default -> limits.requestsPerMin();
        };
        return new Admission.RateLimited(new RateState((int) Math.min(Integer.MAX_VALUE, limit), 0, retry), retry,
                level.startsWith("key"), level.endsWith("tokens"));
    }

    /** The token state after admission: the tighter of the tenant's and the key's limit. */
    private static RateState tokenState(RateLimits limits, long remaining) {
        long limit = limits.tokensPerMin() > 0 && limits.keyTokensPerMin() > 0 ? Math.min(limits.tokensPerMin(), limits.keyTokensPerMin())
                : Math.max(limits.tokensPerMin(), limits.keyTokensPerMin());
        return new RateState((int) Math.min(Integer.MAX_VALUE, limit), (int) Math.min(Integer.MAX_VALUE, remaining), rateResetMs());
    }

    static String tokenKey(String tenantId) {
        return RedisStore.key(tenantId, "tok");
    }

    static String keyTokenKey(String tenantId, String keyId) {
        return RedisStore.key(tenantId, "ktok:" + keyId);
    }

    private static long rateResetMs() {
        return EmbeddedCounters.RATE_BUCKET_MS * (EmbeddedCounters.RATE_BUCKETS + 1);
    }

    @Override
    public void markActive(String tenantId, long nowMs) {
        activity.mark(tenantId, nowMs);
    }

    @Override
    public List<String> activeSince(long sinceMs, int max) {
        return activity.since(sinceMs, max);
    }

    @Override
    public void forgetActiveBefore(long beforeMs) {
        activity.forgetBefore(beforeMs);
    }

    @Override
    public String activityEpoch() {
        return activity.epoch();
    }

    @Override
    public SettleResult settle(Reservation r, long actualMicroUsd, long nowMs, UsageEvent event,
                               List<WindowRef> current) {
        if (actualMicroUsd < 0) throw new IllegalStateException("negative cost");
        markActive(r.tenantId(), nowMs);
        List<String> keys = new ArrayList<>(4 + r.windows().size());
        keys.add(RedisStore.key(r.tenantId(), "res"));
        keys.add(RedisStore.key(r.tenantId(), "dl"));
        keys.add(RedisStore.key(r.tenantId(), "done"));
        keys.add(RedisStore.ledgerStream(r.tenantId()));
        List<String> args = new ArrayList<>(7 + 3 * r.windows().size());
        args.add(r.id());
        args.add(Long.toString(actualMicroUsd));
        args.add(Long.toString(nowMs));
        args.add(Long.toString(r.estimateMicroUsd()));
        args.add(Long.toString(r.createdMs()));
        args.add(Long.toString(graceMs));
        args.add(event == null ? "" : UsageEventJson.write(event));
        for (WindowRef w : r.windows()) settleWindow(keys, args, r.tenantId(), w, "h");
        for (WindowRef w : SpendCounters.spendOnly(r, current)) settleWindow(keys, args, r.tenantId(), w, "s");
        String result = RedisStore.str(redis.eval(settle, keys, args));
        if (result.endsWith(":CLAMPED")) {
            JsonLog.error("reserved_was_short", "request_id", r.id(), "tenant", r.tenantId());
            result = result.substring(0, result.length() - ":CLAMPED".length());
        }
        SettleResult settled = SettleResult.valueOf(result);
        if (settled != SettleResult.ALREADY) correctTokens(r, event, nowMs);
        return settled;
    }

    /**
     * After the settle: the reservation's counted tokens become the used ones (a second, small script; it runs only
     * for reservations that counted tokens, and an expiry keeps what was reserved).
     */
    private void correctTokens(Reservation r, UsageEvent event, long nowMs) {
        if (r.reservedTokens() == 0 || event == null || event.status() == UsageEvent.Status.EXPIRED) return;
        long delta = event.promptTokens() + event.completionTokens() - r.reservedTokens();
        if (delta == 0) return;
        try {
            redis.eval(tokens, List.of(tokenKey(r.tenantId()), keyTokenKey(r.tenantId(), r.apiKeyId())),
                    List.of(Long.toString(nowMs), Long.toString(EmbeddedCounters.RATE_BUCKET_MS),
                            Integer.toString(EmbeddedCounters.RATE_BUCKETS), Long.toString(r.createdMs()), Long.toString(delta)));
        } catch (RuntimeException e) {
            // The money is settled; a token count left at its reservation over-counts for at most a minute.
            JsonLog.warn("token_correction_failed", "request_id", r.id(), "tenant", r.tenantId(), "error", e.getMessage());
        }
    }

    private static void settleWindow(List<String> keys, List<String> args, String tenantId, WindowRef w, String held) {
        keys.add(windowKey(tenantId, w));
        args.add(w.rolling() ? "r" : "c");
        args.add(Long.toString(w.bucketMs()));
        args.add(Integer.toString(WindowRef.ROLLING_BUCKETS));
        args.add(held);
    }

    /** One EVALSHA for every window (they share the tenant's hash slot); a missing window is rebuilt first. */
    @Override
    public List<WindowUsage> usage(String tenantId, List<WindowRef> windows, long nowMs) {
        if (windows.isEmpty()) return List.of();
        List<String> keys = new ArrayList<>(windows.size());
        List<String> args = new ArrayList<>(windows.size() * 2);
        for (WindowRef w : windows) {
            keys.add(windowKey(tenantId, w));
            args.add(w.rolling() ? "r" : "c");
            args.add(w.rolling() ? Long.toString(Math.floorDiv(nowMs, w.bucketMs()) - WindowRef.ROLLING_BUCKETS) : "0");
        }
        for (int attempt = 0; attempt < MAX_ADMIT_ATTEMPTS; attempt++) {
            List<?> r = (List<?>) redis.eval(usage, keys, args);
            List<WindowRef> missing = new ArrayList<>();
            List<WindowUsage> out = new ArrayList<>(windows.size());
            for (int i = 0; i < windows.size(); i++) {
                if (Long.parseLong(RedisStore.str(r.get(3 * i))) == 0) missing.add(windows.get(i));
                out.add(new WindowUsage(windows.get(i), Long.parseLong(RedisStore.str(r.get(3 * i + 1))), Long.parseLong(RedisStore.str(r.get(3 * i + 2)))));
            }
            if (missing.isEmpty()) return out;
            rebuilds.rebuild(tenantId, missing, nowMs);
        }
        throw new StoreUnavailableException("redis: budget windows of " + tenantId + " vanished while being read", null);
    }

    @Override
    public List<Reservation> expired(String tenantId, long nowMs, int max) {
        List<String> ids = redis.call(r -> r.zrangeByScore(RedisStore.key(tenantId, "dl"), "-inf", Long.toString(nowMs), 0, max));
        if (ids.isEmpty()) return List.of();
        List<String> payloads = redis.call(r -> r.hmget(RedisStore.key(tenantId, "res"), ids.toArray(String[]::new)));
        List<Reservation> out = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            if (payloads.get(i) != null) out.add(ReservationPayload.read(tenantId, ids.get(i), payloads.get(i)));
        }
        return out;
    }

    @Override
    public void ping() {
        redis.ping();
    }

    @Override
    public void close() {
        redis.close();
    }
}
