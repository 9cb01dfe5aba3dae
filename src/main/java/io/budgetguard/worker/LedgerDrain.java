package io.budgetguard.worker;

import io.budgetguard.ledger.RedisLedgerStream;
import io.budgetguard.ledger.Ledger;
import io.budgetguard.log.JsonLog;
import io.budgetguard.core.StoreUnavailableException;
import io.budgetguard.budget.TenantSweep;
import java.lang.management.ManagementFactory;
import java.time.Clock;
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
    /** Passes run back to back while some tenant still had more than a pass takes (catching up after load). */
    static final int MAX_CATCH_UP_PASSES = 1_000;

    private final RedisLedgerStream stream;
    private final TenantSweep sweep;
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
    public LedgerDrain(RedisLedgerStream stream, TenantSweep sweep, Ledger ledger, Clock clock, long claimIdleMs) {
        this(stream, sweep, ledger, clock, claimIdleMs, BATCH_SIZE, MAX_BATCHES_PER_TENANT);
    }

    LedgerDrain(RedisLedgerStream stream, TenantSweep sweep, Ledger ledger, Clock clock, long claimIdleMs,
                int batchSize, int maxBatchesPerTenant) {
        this.claimIdleMs = claimIdleMs;
        this.batchSize = batchSize;
        this.maxBatchesPerTenant = maxBatchesPerTenant;
        this.stream = stream;
        this.sweep = sweep;
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
     * One pass over the tenants with recent activity; returns how many events reached the ledger database. While
     * the database is down nothing is drained (entries stay pending in Redis) but the backlog is still measured.
     */
    public int runOnce() {
        return pass().moved();
    }

    private Pass pass() {
        int[] moved = {0};
        boolean[] saturated = {false};
        long[] pending = {0};
        long[] oldest = {0};
        boolean[] databaseDown = {false};
        try {
            sweep.forEach(id -> {
                boolean ok = !databaseDown[0];
                if (ok) {
                    try {
                        int n = stream.drain(id, consumer, claimIdleMs, batchSize, maxBatchesPerTenant, ledger::appendBatch);
                        if (n == batchSize * maxBatchesPerTenant) saturated[0] = true;
                        moved[0] += n;
                    } catch (StoreUnavailableException e) {
                        // The database is down: every tenant would fail the same way, so stop writing for this pass
                        // (entries stay pending in Redis). Redis down for this tenant: counted, and the pass goes on.
                        databaseDown[0] = !e.getMessage().startsWith("redis");
                        if (!databaseDown[0]) tenantFailed(id, e);
                        ok = false;
                    } catch (RuntimeException e) {
                        tenantFailed(id, e);
                        ok = false;
                    }
                }
                try {
                    long[] backlog = stream.backlog(id, clock.millis());
                    pending[0] += backlog[0];
                    oldest[0] = Math.max(oldest[0], backlog[1]);
                } catch (RuntimeException e) {
                    // measured again next pass
                }
                return ok;
            });
        } catch (StoreUnavailableException e) {
            // Redis is down: the sweep cannot even list the active tenants; the entries wait in Redis.
            JsonLog.warn("ledger_drain_waiting", "reason", e.getMessage());
            return new Pass(moved[0], false);
        }
        pendingEvents.set(pending[0]);
        oldestAgeMs.set(oldest[0]);
        if (moved[0] > 0) JsonLog.info("ledger_drained", "events", moved[0], "pending", pending[0]);
        if (databaseDown[0]) JsonLog.warn("ledger_drain_waiting", "reason", "database unavailable", "pending", pending[0]);
        return new Pass(moved[0], saturated[0]);
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

    public long pendingEvents() {
        return pendingEvents.get();
    }

    public long oldestAgeMs() {
        return oldestAgeMs.get();
    }
}
