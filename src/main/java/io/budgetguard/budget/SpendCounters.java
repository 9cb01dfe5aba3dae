package io.budgetguard.budget;

import io.budgetguard.core.Reservation;
import io.budgetguard.core.WindowRef;

import java.util.List;

/**
 * The budget and rate-limit counters. Two implementations: in-process (embedded default) and Redis (shared by
 * any number of gateways). Both make admission one atomic step and settle idempotent per reservation id.
 */
public interface SpendCounters extends AutoCloseable {
    /**
     * Rate limit, then for every window spent + reserved + estimate ≤ limit; if all pass, counts the request and
     * reserves the estimate in every window; otherwise changes nothing.
     */
    /** Admission without a rate limit of the key's own. */
    default Admission admit(Reservation proposed, int rateLimitPerMin, long nowMs) {
        return admit(proposed, rateLimitPerMin, 0, nowMs);
    }

    /**
     * One atomic step: the tenant's per-minute limit, the key's own ({@code keyRateLimitPerMin}, 0 = none), and every
     * window of the reservation; all pass and the request is counted and reserved everywhere, or nothing changes.
     */
    default Admission admit(Reservation proposed, int rateLimitPerMin, int keyRateLimitPerMin, long nowMs) {
        return admit(proposed, new RateLimits(rateLimitPerMin, keyRateLimitPerMin, 0, 0), nowMs);
    }

    /**
     * One atomic step over every limit of {@code limits} (token limits count the reservation's reserved tokens) and
     * every window of the reservation. Its settle later moves the counted tokens to what the request used.
     */
    Admission admit(Reservation proposed, RateLimits limits, long nowMs);

    /**
     * Replaces the reservation by the actual cost and records {@code ledgerEvent} (not when the result is ALREADY;
     * not at all when it is null): Redis appends it to the tenant's ledger stream in the same atomic step, the
     * in-process counters write the ledger row before returning.
     */
    SettleResult settle(Reservation r, long actualMicroUsd, long nowMs, io.budgetguard.core.UsageEvent ledgerEvent,
                        List<WindowRef> current);

    /**
     * As above; {@code current} are the tenant's windows now. The actual cost also counts in those of them that the
     * reservation did not hold (a budget added while the request was in flight) and that cover its start, when the
     * counters already hold them (one that is built later reads the ledger, which will have the row).
     */
    default SettleResult settle(Reservation r, long actualMicroUsd, long nowMs, io.budgetguard.core.UsageEvent ledgerEvent) {
        return settle(r, actualMicroUsd, nowMs, ledgerEvent, List.of());
    }

    default SettleResult settle(Reservation r, long actualMicroUsd, long nowMs) {
        return settle(r, actualMicroUsd, nowMs, null);
    }

    /** The windows of {@code current} the reservation did not hold that cover its start. */
    static List<WindowRef> spendOnly(Reservation r, List<WindowRef> current) {
        List<WindowRef> out = new java.util.ArrayList<>(current.size());
        for (WindowRef w : current) {
            if (!r.holds(w.id()) && w.covers(r.createdMs())) out.add(w);
        }
        return out;
    }

    /**
     * Marks the tenant as having work for the background duties (expiry, drain, alerts visit active tenants only).
     * Admission and settle mark their tenant themselves; an admin change to its budgets calls this.
     */
    void markActive(String tenantId, long nowMs);

    /** Tenants marked active at or after {@code sinceMs}, at most {@code max}. */
    List<String> activeSince(long sinceMs, int max);

    /** Forgets activity marks older than {@code beforeMs}. */
    void forgetActiveBefore(long beforeMs);

    /**
     * Identifies the store's set of activity marks: it changes when the marks were lost (Redis restarted empty or
     * flushed), so the duties know to visit every tenant until the gateways have marked theirs again.
     */
    String activityEpoch();

    /** The current state of each window. */
    List<WindowUsage> usage(String tenantId, List<WindowRef> windows, long nowMs);

    /** Reservations of this tenant whose deadline passed (a gateway died mid-request), at most {@code max}. */
    List<Reservation> expired(String tenantId, long nowMs, int max);

    enum SettleResult {
        /** The reservation was replaced by the actual cost. */
        SETTLED,
        /** It had been settled before (a retry or a concurrent expiry): nothing changed. */
        ALREADY,
        /** The reservation was gone (Redis restarted empty): the cost was counted anyway. */
        RECOUNTED
    }

    /** Throws StoreUnavailableException when the counters cannot be reached (readiness). */
    void ping();

    @Override
    void close();
}
