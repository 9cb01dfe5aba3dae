package io.budgetguard.budget;

import io.budgetguard.core.StoreUnavailableException;
import io.budgetguard.core.WindowRef;
import io.budgetguard.log.JsonLog;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Budget windows missing from Redis (first use, a new window, Redis restarted empty) rebuilt from the ledger
 * database (summed there, per bucket for rolling windows) plus the tenant's undrained stream and its outstanding
 * reservations, in one script (init.lua).
 */
final class RedisWindowRebuild {
    /** A window rebuild scans the tenant's undrained events in one script; a longer backlog waits for the drain. */
    static final int MAX_REBUILD_STREAM_ENTRIES = 100_000;
    static final int MAX_REBUILD_ATTEMPTS = 5;

    private final RedisStore redis;
    private final SpendHistory history;
    private final long graceMs;
    private final RedisStore.Script init = RedisStore.script("lib.lua", "init.lua");

    RedisWindowRebuild(RedisStore redis, SpendHistory history, long graceMs) {
        this.redis = redis;
        this.history = history;
        this.graceMs = graceMs;
    }

    /** When a window's keys may go: a calendar window a grace period after its end, a rolling one a span after use. */
    static long expireAt(WindowRef w, long nowMs, long graceMs) {
        return w.rolling() ? nowMs + w.period().rollingSpan().toMillis() + graceMs : w.endMs() + graceMs;
    }

    /**
     * Builds missing windows from the ledger database plus the events still in the tenant's ledger stream (only
     * where still missing), in one script; started again when a drain deleted entries meanwhile.
     */
    void rebuild(String tenantId, List<WindowRef> windows, long nowMs) {
        for (int attempt = 1; ; attempt++) {
            String epoch = redis.call(r -> r.get(RedisStore.drainEpoch(tenantId)));
            List<String> keys = new ArrayList<>();
            List<String> args = new ArrayList<>();
            args.add(epoch == null ? "" : epoch);
            args.add(Integer.toString(MAX_REBUILD_STREAM_ENTRIES));
            for (WindowRef w : windows) {
                keys.add(RedisCounters.windowKey(tenantId, w));
                rebuildArgs(tenantId, w, nowMs, args);
            }
            keys.add(RedisStore.ledgerStream(tenantId));
            keys.add(RedisStore.drainEpoch(tenantId));
            keys.add(RedisStore.key(tenantId, "res"));
            String result = RedisStore.str(redis.eval(init, keys, args));
            if (result.equals("OK")) break;
            if (result.equals("BACKLOG")) {
                throw new StoreUnavailableException("redis: the ledger stream of " + tenantId + " holds more than "
                        + MAX_REBUILD_STREAM_ENTRIES + " undrained events, so its budget windows cannot be rebuilt until the "
                        + "worker drains it", null);
            }
            if (attempt >= MAX_REBUILD_ATTEMPTS) {
                throw new StoreUnavailableException("redis: budget windows of " + tenantId + " kept changing while rebuilt", null);
            }
        }
        JsonLog.info("redis_windows_rebuilt", "tenant", tenantId, "windows", windows.size());
    }

    private void rebuildArgs(String tenantId, WindowRef w, long nowMs, List<String> args) {
        args.add(w.rolling() ? "r" : "c");
        args.add(Long.toString(expireAt(w, nowMs, graceMs)));
        if (w.rolling()) {
            long lo = Math.floorDiv(nowMs, w.bucketMs()) - WindowRef.ROLLING_BUCKETS;
            Map<Long, Long> buckets = history.spentPerBucket(tenantId, w.scope(), lo * w.bucketMs(), w.bucketMs(), List.of());
            args.add(Long.toString(lo));
            args.add("0");
            args.add("0");
            args.add(Long.toString(w.bucketMs()));
            args.add(w.id());
            scopeArgs(w.scope(), args);
            args.add(Integer.toString(buckets.size()));
            for (Map.Entry<Long, Long> e : buckets.entrySet()) {
                args.add(Long.toString(Math.max(e.getKey(), lo)));
                args.add(Long.toString(e.getValue()));
            }
        } else {
            args.add(Long.toString(history.spentMicroUsd(tenantId, w.scope(), w.startMs(), w.endMs(), List.of())));
            args.add(Long.toString(w.startMs()));
            args.add(Long.toString(w.endMs()));
            args.add("0");
            args.add(w.id());
            scopeArgs(w.scope(), args);
            args.add("0");
        }
    }

    /** The window's scope for init.lua: kind, key id, then the group's models (count first). */
    private static void scopeArgs(io.budgetguard.core.WindowScope scope, List<String> args) {
        args.add(switch (scope.kind()) {
            case TENANT -> "t";
            case KEY -> "k";
            case USER -> "u";
            case MODEL_GROUP -> "g";
        });
        args.add(scope.kind() == io.budgetguard.core.WindowScope.Kind.KEY || scope.kind() == io.budgetguard.core.WindowScope.Kind.USER
                ? scope.id() : "");
        args.add(Integer.toString(scope.models().size()));
        args.addAll(scope.models());
    }
}
