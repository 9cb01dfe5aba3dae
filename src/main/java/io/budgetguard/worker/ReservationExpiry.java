package io.budgetguard.worker;

import io.budgetguard.core.Reservation;
import io.budgetguard.budget.SpendCounters;
import io.budgetguard.budget.TenantSweep;
import io.budgetguard.core.UsageEvent;
import io.budgetguard.log.JsonLog;
import io.budgetguard.tenant.TenantStore;
import java.time.Clock;
import java.time.Instant;

/**
 * Settles reservations whose gateway never did (it died mid-request) at their estimate, with an 'expired'
 * ledger row: OpenAI may have billed the call, and a hard cap never under-counts. Whichever process gets to a
 * reservation first settles it; settle is idempotent, so the others change nothing.
 */
public final class ReservationExpiry {
    static final int MAX_PER_TENANT = 256;

    private final SpendCounters counters;
    private final TenantStore tenants;
    private final TenantSweep sweep;
    private final Clock clock;

    /** @param sweep which tenants a pass visits (those with recent activity) */
    public ReservationExpiry(SpendCounters counters, TenantStore tenants, TenantSweep sweep, Clock clock) {
        this.counters = counters;
        this.tenants = tenants;
        this.sweep = sweep;
        this.clock = clock;
    }

    /** One pass over the tenants that may hold reservations; returns how many it settled. */
    public int runOnce() {
        int[] settled = {0};
        sweep.forEachLogged(id -> settled[0] += expireTenant(id));
        return settled[0];
    }

    int expireTenant(String tenantId) {
        long now = clock.millis();
        int settled = 0;
        java.util.Optional<io.budgetguard.tenant.Tenant> tenant = null;
        for (Reservation r : counters.expired(tenantId, now, MAX_PER_TENANT)) {
            if (tenant == null) tenant = tenants.find(tenantId);
            java.util.List<io.budgetguard.core.WindowRef> current = tenant.map(t -> t.windowsFor(r.apiKeyId(), r.model(), r.endUser(), now))
                    .orElse(java.util.List.of());
            Instant started = Instant.ofEpochMilli(r.createdMs());
            Instant finished = Instant.ofEpochMilli(Math.max(now, r.createdMs()));
            UsageEvent event = new UsageEvent(r.id(), r.tenantId(), r.apiKeyId(), r.endpoint(), r.provider(), r.model(),
                    UsageEvent.Status.EXPIRED, 0, 0, 0, 0, r.estimateMicroUsd(), r.estimateMicroUsd(), null, started, finished,
                    r.endUser(), r.tags());
            SpendCounters.SettleResult result = counters.settle(r, r.estimateMicroUsd(), now, event, current);
            if (result == SpendCounters.SettleResult.ALREADY) continue;
            JsonLog.warn("reservation_expired", "request_id", r.id(), "tenant", r.tenantId(),
                    "estimate_micro_usd", r.estimateMicroUsd());
            settled++;
        }
        return settled;
    }
}
