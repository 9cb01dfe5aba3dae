package io.budgetguard.proxy;

import io.budgetguard.budget.SpendCounters;
import io.budgetguard.core.Reservation;
import io.budgetguard.core.UsageEvent;
import io.budgetguard.core.WindowRef;
import io.budgetguard.ledger.Ledger;
import io.budgetguard.log.JsonLog;
import io.budgetguard.metrics.Metrics;
import io.budgetguard.pricing.ModelPrice;
import io.budgetguard.tenant.TenantDirectory;
import java.time.Clock;
import java.util.List;

/**
 * The end of every admitted request, whatever happened: its cost (the usage, else the estimate when it may have
 * been billed, else nothing), the settle of its reservation, and its ledger event, exactly once.
 */
final class Settlement {
    private final Clock clock;
    private final TenantDirectory tenants;
    private final SpendCounters counters;
    private final Ledger ledger;
    private final Metrics metrics;

    Settlement(Clock clock, TenantDirectory tenants, SpendCounters counters, Ledger ledger, Metrics metrics) {
        this.clock = clock;
        this.tenants = tenants;
        this.counters = counters;
        this.ledger = ledger;
        this.metrics = metrics;
    }

    /** Settles the request at its cost and records its ledger event. */
    void settle(Reservation r, Outcome o, ModelPrice price) {
        settle(r, o, costOrEstimate(o, price, r));
    }

    /** Settles the request at a cost known from its answer (the seconds of audio a per-minute model reports). */
    void settleAt(Reservation r, Outcome o, long costMicroUsd) {
        settle(r, o, costMicroUsd);
    }

    /** The request's windows as the budgets are now (a budget may have been added while the request was in flight). */
    private List<WindowRef> currentWindows(Reservation r, long nowMs) {
        return io.budgetguard.deferred.DeferredSettlement.windowsNow(tenants, r, nowMs);
    }

    /** The cost to settle; if pricing itself fails, the estimate (never less than what may have been billed). */
    private static long costOrEstimate(Outcome o, ModelPrice price, Reservation r) {
        try {
            return cost(o, price, r);
        } catch (RuntimeException e) {
            JsonLog.bug("cost_failed", e, "request_id", r.id());
            return r.estimateMicroUsd();
        }
    }

    /**
     * The cost to settle: the upstream's reported usage; else, when the upstream may have billed (a cut stream,
     * a timeout, a success without usage), the estimate, because a hard cap never under-counts; else nothing.
     */
    private static long cost(Outcome o, ModelPrice price, Reservation r) {
        if (price == null) return 0;
        if (o.usage() != null) {
            Usage u = o.usage();
            return price.costMicroUsd(u.promptTokens(), u.cachedTokens(), u.cacheWriteTokens(), u.cacheWriteLongTokens(),
                    u.completionTokens());
        }
        return o.maybeBilled() ? r.estimateMicroUsd() : 0;
    }

    /**
     * Settles the reservation and records the ledger event: in Redis the settle script appends it to the
     * tenant's ledger stream in the same atomic step; the in-process counters write the ledger row themselves.
     */
    private void settle(Reservation r, Outcome o, long cost) {
        Usage u = o.usage() == null ? Usage.NONE : o.usage();
        java.time.Instant started = java.time.Instant.ofEpochMilli(r.createdMs());
        java.time.Instant finished = clock.instant();
        UsageEvent event = new UsageEvent(r.id(), r.tenantId(), r.apiKeyId(), r.endpoint(), r.provider(), r.model(), o.status(),
                u.promptTokens(), u.cachedTokens(), u.cacheWriteTokens(), u.completionTokens(), r.estimateMicroUsd(), cost, o.upstreamStatus(),
                started, finished.isBefore(started) ? started : finished, r.endUser(), r.tags());
        boolean recorded;
        try {
            long nowMs = clock.millis();
            SpendCounters.SettleResult result = counters.settle(r, cost, nowMs, event, currentWindows(r, nowMs));
            if (result == SpendCounters.SettleResult.ALREADY) {
                // Only an expiry could have settled it first, and the request deadline ends before the reservation.
                metrics.settledTwice();
                JsonLog.error("invariant_settled_twice", "request_id", r.id(), "tenant", r.tenantId());
            }
            recorded = true;
        } catch (io.budgetguard.core.StoreUnavailableException e) {
            // Redis went away after the upstream call: write the row straight to the ledger database. The
            // reservation stays and expires at its estimate (its 'expired' event then conflicts with this row),
            // so the budget over-counts until then and never under-counts. In-process, the row's write failed
            // after the counters settled: written once more here, and logged whole if that fails too.
            JsonLog.warn("settle_deferred", "request_id", r.id(), "tenant", r.tenantId(), "error", e.getMessage());
            recorded = false;
        }
        metrics.released();
        metrics.spend(r.tenantId(), cost);
        if (cost > r.estimateMicroUsd()) {
            metrics.overrun(cost - r.estimateMicroUsd());
            JsonLog.error("settle_overrun", "request_id", r.id(), "tenant", r.tenantId(), "model", r.model(),
                    "estimate_micro_usd", r.estimateMicroUsd(), "actual_micro_usd", cost);
        }
        if (!recorded) appendRow(event);
        metrics.ledgerRowRecorded();
    }

    /** The row written straight to the ledger database (in-process counters, or Redis gone after the call). */
    private void appendRow(UsageEvent event) {
        try {
            ledger.append(event);
        } catch (RuntimeException e) {
            // The upstream call happened: keep every field an operator needs to re-enter the row by hand.
            JsonLog.error("ledger_append_failed", "request_id", event.requestId(), "tenant", event.tenantId(),
                    "api_key_id", event.apiKeyId(), "endpoint", event.endpoint(), "model", event.model(),
                    "status", event.status().sql(), "prompt_tokens", event.promptTokens(),
                    "cached_tokens", event.cachedTokens(), "completion_tokens", event.completionTokens(),
                    "cost_micro_usd", event.costMicroUsd(), "error", e.toString());
            throw e;
        }
    }
}
