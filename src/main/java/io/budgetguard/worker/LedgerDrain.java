package io.budgetguard.worker;

import io.budgetguard.budget.RedisCounters;
import io.budgetguard.ledger.Ledger;
import io.budgetguard.log.JsonLog;
import io.budgetguard.store.StoreUnavailableException;
import io.budgetguard.store.TenantStore;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drains every tenant's Redis ledger stream into the ledger database with a consumer group: batches are
 * committed, then acknowledged; entries a dead worker left unacknowledged are claimed after
 * LEDGER_CLAIM_IDLE_MS. Any number of workers and gateways may run it at once. Also measures the backlog
 * (events not yet in the database, age of the oldest) for the metrics.
 */
public final class LedgerDrain {
    static final int BATCH_SIZE = 500;
    static final int MAX_BATCHES_PER_TENANT = 20;
    static final int MAX_TENANT_PAGES = 1_000;
    /** Passes run back to back while some tenant still had more than a pass takes (catching up after load). */
    static final int MAX_CATCH_UP_PASSES = 1_000;

    private final RedisCounters counters;
    private final TenantStore tenants;
    private final Ledger ledger;
    private final Clock clock;
    private final String consumer;
    private final long claimIdleMs;
    private final int batchSize;
    private final int maxBatchesPerTenant;
    private final AtomicLong pendingEvents = new AtomicLong();
    private final AtomicLong oldestAgeMs = new AtomicLong();
    private final AtomicLong tenantFailures = new AtomicLong();

    /** @param claimIdleMs entries another consumer has held unacknowledged this long are taken over (it died) */
    public LedgerDrain(RedisCounters counters, TenantStore tenants, Ledger ledger, Clock clock, long claimIdleMs) {
        this(counters, tenants, ledger, clock, claimIdleMs, BATCH_SIZE, MAX_BATCHES_PER_TENANT);
    }

    LedgerDrain(RedisCounters counters, TenantStore tenants, Ledger ledger, Clock clock, long claimIdleMs,
                int batchSize, int maxBatchesPerTenant) {
        this.claimIdleMs = claimIdleMs;
        this.batchSize = batchSize;
        this.maxBatchesPerTenant = maxBatchesPerTenant;
        this.counters = counters;
        this.tenants = tenants;
        this.ledger = ledger;
        this.clock = clock;
        this.consumer = ManagementFactory.getRuntimeMXBean().getName() + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
    }

    /**
     * Drains until no tenant has more than one pass takes, at most MAX_CATCH_UP_PASSES passes: a tenant serving
     * more events per worker period than one pass moves would otherwise fall behind for as long as it is busy.
     */
    public int runUntilCaughtUp() {
        int moved = 0;
        for (int i = 0; i < MAX_CATCH_UP_PASSES; i++) {
            Pass p = pass();
            moved += p.moved();
            if (!p.saturated()) break;
        }
        return moved;
    }

    /** What one pass moved, and whether some tenant had a full pass's worth (so more may be waiting). */
    private record Pass(int moved, boolean saturated) {}

    /**
     * One pass over every tenant; returns how many events reached the ledger database. While the database is
     * down nothing is drained (entries stay pending in Redis) but the backlog is still measured, over the
     * tenants known from the last listing.
     */
    public int runOnce() {
        return pass().moved();
    }

    private Pass pass() {
        int moved = 0;
        boolean saturated = false;
        long pending = 0;
        long oldest = 0;
        boolean databaseDown = false;
        for (String id : tenantIds()) {
            if (!databaseDown) {
                try {
                    int n = counters.drainLedger(id, consumer, claimIdleMs, batchSize, maxBatchesPerTenant, ledger::appendBatch);
                    if (n == batchSize * maxBatchesPerTenant) saturated = true;
                    moved += n;
                } catch (StoreUnavailableException e) {
                    // The database is down: every tenant would fail the same way, so stop writing for this pass
                    // (entries stay pending in Redis). Redis down for this tenant: counted, and the pass goes on.
                    databaseDown = !e.getMessage().startsWith("redis");
                    if (!databaseDown) tenantFailed(id, e);
                } catch (RuntimeException e) {
                    tenantFailed(id, e);
                }
            }
            try {
                long[] backlog = counters.ledgerBacklog(id, clock.millis());
                pending += backlog[0];
                oldest = Math.max(oldest, backlog[1]);
            } catch (RuntimeException e) {
                // measured again next pass
            }
        }
        pendingEvents.set(pending);
        oldestAgeMs.set(oldest);
        if (moved > 0) JsonLog.info("ledger_drained", "events", moved, "pending", pending);
        if (databaseDown) JsonLog.warn("ledger_drain_waiting", "reason", "database unavailable", "pending", pending);
        return new Pass(moved, saturated);
    }

    /** One tenant's drain failed: logged and counted; the other tenants of the pass are still drained. */
    private void tenantFailed(String tenantId, RuntimeException e) {
        tenantFailures.incrementAndGet();
        if (e instanceof StoreUnavailableException) JsonLog.warn("ledger_drain_tenant_failed", "tenant", tenantId, "error", e.getMessage());
        else JsonLog.bug("ledger_drain_tenant_failed", e, "tenant", tenantId);
    }

    /** Tenant drains that failed since start (each skipped for its pass, retried the next). */
    public long tenantFailures() {
        return tenantFailures.get();
    }

    private volatile List<String> knownTenants = List.of();

    /** Every tenant id, or the last known list while the database cannot be asked. */
    private List<String> tenantIds() {
        try {
            List<String> all = new java.util.ArrayList<>();
            tenants.forEachId(MAX_TENANT_PAGES, all::add);
            knownTenants = List.copyOf(all);
        } catch (StoreUnavailableException e) {
            // keep the last list
        }
        return knownTenants;
    }

    public long pendingEvents() {
        return pendingEvents.get();
    }

    public long oldestAgeMs() {
        return oldestAgeMs.get();
    }
}
