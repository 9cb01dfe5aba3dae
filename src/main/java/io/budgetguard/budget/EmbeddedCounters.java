package io.budgetguard.budget;

import io.budgetguard.budget.EmbeddedTenant.Load;
import io.budgetguard.budget.EmbeddedTenant.Settled;
import io.budgetguard.budget.EmbeddedTenant.Window;
import io.budgetguard.core.Reservation;
import io.budgetguard.core.UsageEvent;
import io.budgetguard.core.WindowRef;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * In-process counters for the embedded default: one lock per tenant (never a global one) makes admission and
 * settle atomic, and settle writes the request's ledger row. Windows are loaded from the ledger the first time
 * they are touched, outside the tenant's lock (a rolling window may sum millions of rows): only admissions of
 * that tenant wait for the load, settles go on, and the window is installed in one step under the lock.
 */
public final class EmbeddedCounters implements SpendCounters {
    public static final long RATE_BUCKET_MS = 1_000;
    public static final int RATE_BUCKETS = 60;

    private final SpendHistory history;
    private final long graceMs;
    private final ConcurrentHashMap<String, EmbeddedTenant> tenants = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> lastActiveMs = new ConcurrentHashMap<>();

    /** @param graceMs how long a closed calendar window is kept for late settles */
    public EmbeddedCounters(SpendHistory history, long graceMs) {
        this.history = history;
        this.graceMs = graceMs;
    }

    @Override
    public Admission admit(Reservation proposed, RateLimits limits, long nowMs) {
        int rateLimitPerMin = limits.requestsPerMin();
        int keyRateLimitPerMin = limits.keyRequestsPerMin();
        markActive(proposed.tenantId(), nowMs);
        EmbeddedTenant t = tenants.computeIfAbsent(proposed.tenantId(), EmbeddedTenant::new);
        for (int round = 0; ; round++) {
            List<Load> mine = new ArrayList<>();
            List<Load> pending = new ArrayList<>();
            t.lock.lock();
            try {
                long count = t.rate.roll(nowMs);
                if (count >= rateLimitPerMin) {
                    return new Admission.RateLimited(new RateState(rateLimitPerMin, 0, t.rate.msUntilOldestLeaves(nowMs)),
                            t.rate.msUntilOldestLeaves(nowMs));
                }
                BucketedSum keyRate = keyRateLimitPerMin <= 0 ? null
                        : t.keyRates.computeIfAbsent(proposed.apiKeyId(), k -> new BucketedSum(RATE_BUCKET_MS, RATE_BUCKETS));
                if (keyRate != null && keyRate.roll(nowMs) >= keyRateLimitPerMin) {
                    return new Admission.RateLimited(new RateState(keyRateLimitPerMin, 0, keyRate.msUntilOldestLeaves(nowMs)),
                            keyRate.msUntilOldestLeaves(nowMs), true);
                }
                TokenRates tokens = TokenRates.of(t, proposed, limits);
                Admission overTokens = tokens.refusal(proposed, limits, nowMs);
                if (overTokens != null) return overTokens;
                List<Window> ws = t.installed(proposed.windows(), mine, pending);
                if (ws != null) return admitLocked(t, proposed, ws, rateLimitPerMin, count, keyRate, tokens, limits, nowMs);
            } finally {
                t.lock.unlock();
            }
            t.awaitLoads(history, mine, pending, nowMs, round);
        }
    }

    private Admission admitLocked(EmbeddedTenant t, Reservation proposed, List<Window> ws, int rateLimitPerMin, long count,
                                  BucketedSum keyRate, TokenRates tokens, RateLimits limits, long nowMs) {
        RateState after = new RateState(rateLimitPerMin, (int) (rateLimitPerMin - count - 1), RATE_BUCKET_MS * (RATE_BUCKETS + 1));
        for (int i = 0; i < ws.size(); i++) {
            Window w = ws.get(i);
            WindowRef ref = proposed.windows().get(i); // the limit as the tenant has it now, not as when installed
            long spent = w.spent(nowMs);
            if (spent + w.reserved + proposed.estimateMicroUsd() > ref.limitMicroUsd()) {
                return new Admission.OverBudget(ref, spent, w.reserved, after);
            }
        }
        t.rate.add(nowMs, nowMs, 1);
        if (keyRate != null) keyRate.add(nowMs, nowMs, 1);
        RateState tokenState = tokens.count(proposed, limits, nowMs);
        for (Window w : ws) w.reserved += proposed.estimateMicroUsd();
        t.reservations.put(proposed.id(), proposed);
        prune(t, nowMs);
        return new Admission.Admitted(proposed, after, tokenState);
    }

    @Override
    public SettleResult settle(Reservation r, long actualMicroUsd, long nowMs, UsageEvent event, List<WindowRef> current) {
        if (actualMicroUsd < 0) throw new IllegalStateException("negative cost");
        EmbeddedTenant t = tenants.get(r.tenantId());
        if (t == null) return SettleResult.ALREADY;
        markActive(r.tenantId(), nowMs);
        List<CompletableFuture<Window>> installsFirst = new ArrayList<>();
        t.lock.lock();
        try {
            Reservation held = t.reservations.remove(r.id());
            if (held == null) return SettleResult.ALREADY;
            settleLocked(t, held, actualMicroUsd, nowMs, current);
            TokenRates.settle(t, held, event, nowMs);
            Settled settled = new Settled(held.createdMs(), actualMicroUsd, held.apiKeyId(), held.model(), held.endUser());
            for (Load load : t.loading.values()) {
                load.settled.put(held.id(), settled);
                if (!load.excluded.contains(held.id())) installsFirst.add(load.done);
            }
            if (event != null) t.unwritten.put(held.id(), settled);
        } finally {
            t.lock.unlock();
        }
        if (event != null) write(t, event, installsFirst);
        return SettleResult.SETTLED;
    }

    private static void settleLocked(EmbeddedTenant t, Reservation held, long actualMicroUsd, long nowMs, List<WindowRef> current) {
        for (WindowRef ref : held.windows()) {
            Window w = t.windows.get(ref.id());
            if (w == null) continue; // pruned long after its end: the ledger still has the cost
            w.reserved -= held.estimateMicroUsd();
            if (w.reserved < 0) throw new IllegalStateException("reserved went negative in " + ref.id() + ": " + w.reserved);
            w.count(nowMs, held.createdMs(), actualMicroUsd);
        }
        Set<String> spendOnly = new HashSet<>();
        for (WindowRef ref : SpendCounters.spendOnly(held, current)) spendOnly.add(ref.id());
        for (Window w : t.windows.values()) {
            if (held.holds(w.ref.id())) continue;
            Long reservedSinceBuilt = w.heldSinceBuilt.remove(held.id());
            if (reservedSinceBuilt != null) w.reserved -= reservedSinceBuilt;
            else if (!spendOnly.contains(w.ref.id())) continue;
            w.count(nowMs, held.createdMs(), actualMicroUsd);
        }
    }

    /**
     * Writes the row after the lock is released; a request admitted while a window was loading waits for that
     * install first, so the load's query never sees a row it would count a second time.
     */
    private void write(EmbeddedTenant t, UsageEvent event, List<CompletableFuture<Window>> installsFirst) {
        try {
            for (CompletableFuture<Window> install : installsFirst) {
                try {
                    install.join();
                } catch (CompletionException e) {
                    // the load failed: nobody will count from the query, write at once
                }
            }
            history.append(event);
        } finally {
            t.lock.lock();
            try {
                t.unwritten.remove(event.requestId());
            } finally {
                t.lock.unlock();
            }
        }
    }

    @Override
    public List<WindowUsage> usage(String tenantId, List<WindowRef> refs, long nowMs) {
        EmbeddedTenant t = tenants.computeIfAbsent(tenantId, EmbeddedTenant::new);
        for (int round = 0; ; round++) {
            List<Load> mine = new ArrayList<>();
            List<Load> pending = new ArrayList<>();
            t.lock.lock();
            try {
                List<Window> ws = t.installed(refs, mine, pending);
                if (ws != null) {
                    List<WindowUsage> out = new ArrayList<>(ws.size());
                    for (int i = 0; i < ws.size(); i++) {
                        Window w = ws.get(i);
                        out.add(new WindowUsage(refs.get(i), w.spent(nowMs), w.reserved));
                    }
                    return out;
                }
            } finally {
                t.lock.unlock();
            }
            t.awaitLoads(history, mine, pending, nowMs, round);
        }
    }

    @Override
    public List<Reservation> expired(String tenantId, long nowMs, int max) {
        EmbeddedTenant t = tenants.get(tenantId);
        if (t == null) return List.of();
        t.lock.lock();
        try {
            List<Reservation> out = new ArrayList<>();
            for (Reservation r : t.reservations.values()) {
                if (out.size() >= max) break;
                if (r.deadlineMs() <= nowMs) out.add(r);
            }
            return out;
        } finally {
            t.lock.unlock();
        }
    }

    @Override
    public void markActive(String tenantId, long nowMs) {
        lastActiveMs.merge(tenantId, nowMs, Math::max);
    }

    @Override
    public List<String> activeSince(long sinceMs, int max) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Long> e : lastActiveMs.entrySet()) {
            if (out.size() >= max) break;
            if (e.getValue() >= sinceMs) out.add(e.getKey());
        }
        return out;
    }

    @Override
    public void forgetActiveBefore(long beforeMs) {
        lastActiveMs.values().removeIf(ms -> ms < beforeMs);
    }

    @Override
    public String activityEpoch() {
        return "in-process"; // the marks live as long as the counters
    }

    /** Forgets calendar windows closed for longer than the grace period and holding no reservation. */
    private void prune(EmbeddedTenant t, long nowMs) {
        for (Iterator<Window> it = t.windows.values().iterator(); it.hasNext(); ) {
            Window w = it.next();
            if (w.rolling == null && w.reserved == 0 && w.ref.endMs() + graceMs < nowMs) it.remove();
        }
    }

    @Override
    public void ping() {
        // in-process: always reachable
    }

    @Override
    public void close() {
        tenants.clear();
    }
}
