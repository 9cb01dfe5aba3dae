package io.budgetguard.budget;

import io.budgetguard.log.JsonLog;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * In-process counters for the embedded default: one lock per tenant (never a global one) makes admission and
 * settle atomic. Windows are loaded from the ledger the first time they are touched, so a restart neither
 * forgets spend nor refuses requests that fit.
 */
public final class EmbeddedCounters implements SpendCounters {
    public static final long RATE_BUCKET_MS = 1_000;
    public static final int RATE_BUCKETS = 60;

    private final SpendHistory history;
    private final long graceMs;
    private final ConcurrentHashMap<String, TenantState> tenants = new ConcurrentHashMap<>();

    /** @param graceMs how long a closed calendar window is kept for late settles */
    public EmbeddedCounters(SpendHistory history, long graceMs) {
        this.history = history;
        this.graceMs = graceMs;
    }

    private static final class Window {
        final WindowRef ref;
        final BucketedSum rolling;
        /** Reservations outstanding when this window was built (it never saw their admission): id to estimate. */
        final Map<String, Long> heldSinceBuilt = new HashMap<>();
        long spent;
        long reserved;

        Window(WindowRef ref) {
            this.ref = ref;
            this.rolling = ref.rolling() ? new BucketedSum(ref.bucketMs(), WindowRef.ROLLING_BUCKETS) : null;
        }

        long spent(long nowMs) {
            return rolling == null ? spent : rolling.roll(nowMs);
        }
    }

    private static final class TenantState {
        final ReentrantLock lock = new ReentrantLock();
        final BucketedSum rate = new BucketedSum(RATE_BUCKET_MS, RATE_BUCKETS);
        final Map<String, Window> windows = new HashMap<>();
        final Map<String, Reservation> reservations = new HashMap<>();
    }

    @Override
    public Admission admit(Reservation proposed, int rateLimitPerMin, long nowMs) {
        TenantState t = tenants.computeIfAbsent(proposed.tenantId(), id -> new TenantState());
        t.lock.lock();
        try {
            long count = t.rate.roll(nowMs);
            if (count >= rateLimitPerMin) {
                return new Admission.RateLimited(new RateState(rateLimitPerMin, 0, t.rate.msUntilOldestLeaves(nowMs)),
                        t.rate.msUntilOldestLeaves(nowMs));
            }
            RateState after = new RateState(rateLimitPerMin, (int) (rateLimitPerMin - count - 1), RATE_BUCKET_MS * (RATE_BUCKETS + 1));
            List<Window> ws = new ArrayList<>(proposed.windows().size());
            for (WindowRef ref : proposed.windows()) {
                Window w = window(t, proposed.tenantId(), ref, nowMs);
                long spent = w.spent(nowMs);
                if (spent + w.reserved + proposed.estimateMicroUsd() > ref.limitMicroUsd()) {
                    return new Admission.OverBudget(ref, spent, w.reserved, after);
                }
                ws.add(w);
            }
            t.rate.add(nowMs, nowMs, 1);
            for (Window w : ws) w.reserved += proposed.estimateMicroUsd();
            t.reservations.put(proposed.id(), proposed);
            prune(t, nowMs);
            return new Admission.Admitted(proposed, after);
        } finally {
            t.lock.unlock();
        }
    }

    @Override
    public boolean recordsLedger() {
        return false;
    }

    @Override
    public SettleResult settle(Reservation r, long actualMicroUsd, long nowMs, io.budgetguard.ledger.UsageEvent ignored,
                               List<WindowRef> current) {
        if (actualMicroUsd < 0) throw new IllegalStateException("negative cost");
        TenantState t = tenants.get(r.tenantId());
        if (t == null) return SettleResult.ALREADY;
        t.lock.lock();
        try {
            Reservation held = t.reservations.remove(r.id());
            if (held == null) return SettleResult.ALREADY;
            for (WindowRef ref : held.windows()) {
                Window w = t.windows.get(ref.id());
                if (w == null) continue; // pruned long after its end: the ledger still has the cost
                w.reserved -= held.estimateMicroUsd();
                if (w.reserved < 0) throw new IllegalStateException("reserved went negative in " + ref.id() + ": " + w.reserved);
                if (w.rolling != null) w.rolling.add(nowMs, held.createdMs(), actualMicroUsd);
                else w.spent += actualMicroUsd;
            }
            java.util.Set<String> spendOnly = new java.util.HashSet<>();
            for (WindowRef ref : SpendCounters.spendOnly(held, current)) spendOnly.add(ref.id());
            for (Window w : t.windows.values()) {
                if (held.holds(w.ref.id())) continue;
                Long reservedSinceBuilt = w.heldSinceBuilt.remove(held.id());
                if (reservedSinceBuilt != null) w.reserved -= reservedSinceBuilt;
                else if (!spendOnly.contains(w.ref.id())) continue;
                if (w.rolling != null) w.rolling.add(nowMs, held.createdMs(), actualMicroUsd);
                else w.spent += actualMicroUsd;
            }
            return SettleResult.SETTLED;
        } finally {
            t.lock.unlock();
        }
    }

    @Override
    public List<WindowUsage> usage(String tenantId, List<WindowRef> refs, long nowMs) {
        TenantState t = tenants.computeIfAbsent(tenantId, id -> new TenantState());
        t.lock.lock();
        try {
            List<WindowUsage> out = new ArrayList<>(refs.size());
            for (WindowRef ref : refs) {
                Window w = window(t, tenantId, ref, nowMs);
                out.add(new WindowUsage(ref, w.spent(nowMs), w.reserved));
            }
            return out;
        } finally {
            t.lock.unlock();
        }
    }

    @Override
    public List<Reservation> expired(String tenantId, long nowMs, int max) {
        TenantState t = tenants.get(tenantId);
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

    /** Tenants this process holds counters for (the expiry duty walks them). */
    public List<String> tenantIds() {
        return new ArrayList<>(tenants.keySet());
    }

    /** The window's counter; on first touch its settled spend is loaded from the ledger. */
    private Window window(TenantState t, String tenantId, WindowRef ref, long nowMs) {
        Window w = t.windows.get(ref.id());
        if (w != null) return w;
        w = new Window(ref);
        if (w.rolling != null) {
            long from = (w.rolling.bucketOf(nowMs) - WindowRef.ROLLING_BUCKETS) * ref.bucketMs();
            for (Map.Entry<Long, Long> e : history.spentPerBucket(tenantId, from, ref.bucketMs()).entrySet()) {
                w.rolling.add(nowMs, e.getKey() * ref.bucketMs(), e.getValue());
            }
        } else {
            w.spent = history.spentMicroUsd(tenantId, ref.startMs(), ref.endMs());
        }
        // Requests admitted before this window existed (a budget added mid-flight) are reserved in it too.
        for (Reservation r : t.reservations.values()) {
            if (!ref.covers(r.createdMs()) || r.holds(ref.id())) continue;
            w.reserved += r.estimateMicroUsd();
            w.heldSinceBuilt.put(r.id(), r.estimateMicroUsd());
        }
        t.windows.put(ref.id(), w);
        return w;
    }

    /** Forgets calendar windows closed for longer than the grace period and holding no reservation. */
    private void prune(TenantState t, long nowMs) {
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
