package io.budgetguard.budget;

import io.budgetguard.core.Reservation;
import io.budgetguard.core.WindowRef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One tenant's in-process counters: its lock, request rate, windows, outstanding reservations, and the windows
 * being loaded from the ledger. A load runs outside the lock and is installed under it in one step; the query
 * leaves out the requests whose cost is in memory (see {@link Load}).
 */
final class EmbeddedTenant {
    /** Loads a caller waits for before it starts one itself or gives up (a window being replaced meanwhile). */
    static final int MAX_LOAD_ROUNDS = 8;

    final String tenantId;

    final ReentrantLock lock = new ReentrantLock();
    final BucketedSum rate = new BucketedSum(EmbeddedCounters.RATE_BUCKET_MS, EmbeddedCounters.RATE_BUCKETS);
    /** Request rates of the tenant's keys that have a limit of their own. */
    final Map<String, BucketedSum> keyRates = new HashMap<>();
    /** Tokens per minute of the tenant (made when it first has a limit) and of its keys that have one. */
    private BucketedSum tokens;
    final Map<String, BucketedSum> keyTokens = new HashMap<>();

    BucketedSum tokens() {
        if (tokens == null) tokens = new BucketedSum(EmbeddedCounters.RATE_BUCKET_MS, EmbeddedCounters.RATE_BUCKETS);
        return tokens;
    }

    BucketedSum tokensOrNull() {
        return tokens;
    }
    final Map<String, Window> windows = new HashMap<>();
    final Map<String, Reservation> reservations = new HashMap<>();
    /** Settled requests whose ledger row is being written. */
    final Map<String, Settled> unwritten = new HashMap<>();
    final Map<String, Load> loading = new HashMap<>();

    EmbeddedTenant(String tenantId) {
        this.tenantId = tenantId;
    }

    static final class Window {
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

        void count(long nowMs, long startedMs, long costMicroUsd) {
            if (rolling != null) rolling.add(nowMs, startedMs, costMicroUsd);
            else spent += costMicroUsd;
        }
    }

    /** A settled request as a window load needs it: when it started, what it cost, and whose it was. */
    record Settled(long startedMs, long costMicroUsd, String apiKeyId, String model, String endUser) {}

    /**
     * A window being loaded. The query leaves out {@code excluded} (requests in flight, or settled with their row
     * still being written, when the load began); their cost comes from memory instead: those settled by the time
     * of the install from {@code settled}, those still in flight as reservations held since built. A request
     * admitted during the load writes its row only after the install, so the query cannot have seen it either.
     */
    static final class Load {
        final WindowRef ref;
        final Set<String> excluded;
        final Map<String, Settled> settled = new HashMap<>();
        final CompletableFuture<Window> done = new CompletableFuture<>();

        Load(WindowRef ref, Set<String> excluded) {
            this.ref = ref;
            this.excluded = excluded;
        }
    }

    /**
     * Under the lock: the windows of {@code refs} when all are installed; otherwise null, with the loads to wait
     * for in {@code pending}, of which those this caller must run (nobody loaded the window yet) also in {@code mine}.
     */
    List<Window> installed(List<WindowRef> refs, List<Load> mine, List<Load> pending) {
        List<Window> ws = new ArrayList<>(refs.size());
        for (WindowRef ref : refs) {
            Window w = windows.get(ref.id());
            if (w != null) {
                ws.add(w);
                continue;
            }
            Load load = loading.get(ref.id());
            if (load == null) {
                Set<String> excluded = new HashSet<>(reservations.keySet());
                excluded.addAll(unwritten.keySet());
                load = new Load(ref, excluded);
                load.settled.putAll(unwritten);
                loading.put(ref.id(), load);
                mine.add(load);
            }
            pending.add(load);
        }
        return pending.isEmpty() ? ws : null;
    }

    /** Outside the lock: runs the loads this caller started, waits for the others'. */
    void awaitLoads(SpendHistory history, List<Load> mine, List<Load> pending, long nowMs, int round) {
        for (Load load : mine) run(history, load, nowMs);
        if (round >= MAX_LOAD_ROUNDS) {
            throw new IllegalStateException("budget windows of " + tenantId + " still missing after " + round + " loads");
        }
        for (Load load : pending) {
            try {
                load.done.join();
            } catch (CompletionException e) {
                if (e.getCause() instanceof RuntimeException re) throw re;
                throw e;
            }
        }
    }

    /** Loads one window from the ledger (no lock held), then installs it under the lock. */
    private void run(SpendHistory history, Load load, long nowMs) {
        WindowRef ref = load.ref;
        try {
            Window w = new Window(ref);
            if (w.rolling != null) {
                long from = (w.rolling.bucketOf(nowMs) - WindowRef.ROLLING_BUCKETS) * ref.bucketMs();
                for (Map.Entry<Long, Long> e : history.spentPerBucket(tenantId, ref.scope(), from, ref.bucketMs(), load.excluded).entrySet()) {
                    w.rolling.add(nowMs, e.getKey() * ref.bucketMs(), e.getValue());
                }
            } else {
                w.spent = history.spentMicroUsd(tenantId, ref.scope(), ref.startMs(), ref.endMs(), load.excluded);
            }
            install(load, w, nowMs);
        } catch (RuntimeException | Error e) {
            lock.lock();
            try {
                loading.remove(ref.id(), load);
            } finally {
                lock.unlock();
            }
            load.done.completeExceptionally(e);
        }
    }

    private void install(Load load, Window w, long nowMs) {
        lock.lock();
        try {
            for (Settled s : load.settled.values()) {
                if (w.ref.counts(s.startedMs(), s.apiKeyId(), s.model(), s.endUser())) w.count(nowMs, s.startedMs(), s.costMicroUsd());
            }
            // Requests in flight that this window never saw admitted are reserved in it too.
            for (Reservation r : reservations.values()) {
                if (!w.ref.counts(r.createdMs(), r.apiKeyId(), r.model(), r.endUser()) || r.holds(w.ref.id())) continue;
                w.reserved += r.estimateMicroUsd();
                w.heldSinceBuilt.put(r.id(), r.estimateMicroUsd());
            }
            windows.put(w.ref.id(), w);
            loading.remove(w.ref.id(), load);
        } finally {
            lock.unlock();
        }
        load.done.complete(w);
    }
}
