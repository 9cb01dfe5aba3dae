package io.budgetguard.deferred;

import io.budgetguard.budget.SpendCounters;
import io.budgetguard.core.Reservation;
import io.budgetguard.core.UsageEvent;
import io.budgetguard.core.WindowRef;
import io.budgetguard.log.JsonLog;
import io.budgetguard.metrics.Metrics;
import io.budgetguard.tenant.TenantObjects;
import io.budgetguard.config.Provider;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The settle of a held reservation, once, whoever sees its object end first (a worker's poll, a tenant's retrieve):
 * the counters' settle is idempotent per reservation and writes the ledger row with it, then the object is marked
 * settled. A process that dies between the two leaves the mark undone; the next one's settle is then ALREADY and
 * only marks it.
 */
public final class DeferredSettlement {
    private final TenantObjects objects;
    private final SpendCounters counters;
    private final io.budgetguard.tenant.TenantDirectory tenants;
    private final Metrics metrics;
    private final Clock clock;

    public DeferredSettlement(TenantObjects objects, SpendCounters counters, io.budgetguard.tenant.TenantDirectory tenants,
                              Metrics metrics, Clock clock) {
        this.objects = objects;
        this.counters = counters;
        this.tenants = tenants;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** Held objects visited in one pass at most. */
    static final int MAX_PER_PASS = 200;

    /** What a pass does with one held object whose provider is known and whose reservation is still in time. */
    @FunctionalInterface
    interface Visit {
        /** True when this visit settled the object. */
        boolean visit(TenantObjects.Held h, HeldReservation held, Provider provider) throws IOException, InterruptedException;
    }

    /**
     * One pass over the held objects of {@code kind} (at most MAX_PER_PASS): one whose reservation passed its deadline,
     * or whose provider is gone, is abandoned; each other is visited. A visit that fails is logged as {@code failedEvent}
     * and tried again next pass. Returns how many this pass settled.
     */
    int pass(String kind, Map<String, Provider> providers, String failedEvent, Visit visit) {
        int settled = 0;
        for (TenantObjects.Held h : objects.held(kind, MAX_PER_PASS)) {
            try {
                HeldReservation held = HeldReservation.decode(h.tenantId(), h.reservation());
                Provider p = providers.get(h.provider());
                if (clock.millis() > held.reservation().deadlineMs() || p == null) {
                    abandon(kind, h.objectId(), h.tenantId());
                    continue;
                }
                if (visit.visit(h, held, p)) settled++;
            } catch (IOException | RuntimeException e) {
                JsonLog.warn(failedEvent, kind, h.objectId(), "tenant", h.tenantId(), "error", e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return settled;
            }
        }
        return settled;
    }

    /** The providers by name, for a pass. */
    static Map<String, Provider> byName(List<Provider> providers) {
        Map<String, Provider> byName = new java.util.HashMap<>();
        for (Provider p : providers) byName.put(p.name(), p);
        return Map.copyOf(byName);
    }

    /** What the object's end reported: its tokens and its cost. */
    public record Usage(long promptTokens, long cachedTokens, long completionTokens, long costMicroUsd) {}

    /** Settles the held reservation of {@code objectId} at {@code usage}; true when this call settled it. */
    public boolean settle(String kind, String objectId, HeldReservation held, Usage usage, String objectJson) {
        Reservation r = held.reservation();
        long now = clock.millis();
        Instant started = Instant.ofEpochMilli(r.createdMs());
        UsageEvent event = new UsageEvent(r.id(), r.tenantId(), r.apiKeyId(), r.endpoint(), r.provider(), r.model(),
                UsageEvent.Status.OK, usage.promptTokens(), usage.cachedTokens(), 0, usage.completionTokens(),
                r.estimateMicroUsd(), usage.costMicroUsd(), 200, started, Instant.ofEpochMilli(Math.max(now, r.createdMs())),
                r.endUser(), r.tags());
        SpendCounters.SettleResult result = counters.settle(r, usage.costMicroUsd(), now, event, windowsNow(tenants, r, now));
        boolean settledHere = result != SpendCounters.SettleResult.ALREADY;
        if (settledHere) {
            metrics.spend(r.tenantId(), usage.costMicroUsd());
            metrics.ledgerRowRecorded();
            if (usage.costMicroUsd() > r.estimateMicroUsd()) {
                metrics.overrun(usage.costMicroUsd() - r.estimateMicroUsd());
                JsonLog.error("settle_overrun", "request_id", r.id(), "tenant", r.tenantId(), kind, objectId,
                        "estimate_micro_usd", r.estimateMicroUsd(), "actual_micro_usd", usage.costMicroUsd());
            }
        }
        objects.settled(kind, objectId, objectJson, Instant.ofEpochMilli(now));
        JsonLog.info("held_settled", "kind", kind, "object", objectId, "tenant", r.tenantId(), "cost_micro_usd", usage.costMicroUsd(),
                "estimate_micro_usd", r.estimateMicroUsd(), "result", result.name().toLowerCase(java.util.Locale.ROOT));
        return settledHere;
    }

    /** The reservation's windows as its tenant's budgets are now (one added meanwhile counts the cost too). */
    public static List<WindowRef> windowsNow(io.budgetguard.tenant.TenantDirectory tenants, Reservation r, long nowMs) {
        try {
            return tenants.get(r.tenantId()).map(t -> t.windowsFor(r.apiKeyId(), r.model(), r.endUser(), nowMs)).orElse(List.of());
        } catch (io.budgetguard.core.StoreUnavailableException e) {
            return List.of(); // the store is away: the reservation's own windows still settle
        }
    }

    /** Stops watching an object whose reservation passed its deadline: the reservation expiry settles it at its estimate. */
    public void abandon(String kind, String objectId, String tenantId) {
        JsonLog.warn("held_unfinished_at_deadline", "kind", kind, "object", objectId, "tenant", tenantId);
        objects.settled(kind, objectId, null, clock.instant());
    }
}
