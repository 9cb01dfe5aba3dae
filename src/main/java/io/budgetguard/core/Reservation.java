package io.budgetguard.core;

import java.util.List;

/**
 * Money set aside for one request in every window of its tenant, until it is settled with the actual cost
 * (or, if its gateway died, at its estimate after the deadline). Carries what the ledger row needs.
 */
public record Reservation(String id, String tenantId, String apiKeyId, String endpoint, String provider, String model,
                          long estimateMicroUsd, long createdMs, long deadlineMs, List<WindowRef> windows,
                          String endUser, String tags, long reservedTokens) {
    public Reservation {
        if (estimateMicroUsd < 0) throw new IllegalStateException("negative reservation");
        if (provider == null || provider.isEmpty()) throw new IllegalStateException("a reservation names its provider");
        windows = List.copyOf(windows);
        if (tags == null) tags = "";
        if (reservedTokens < 0) throw new IllegalStateException("negative reserved tokens");
    }

    /** A reservation that counts no tokens against a tokens-per-minute limit. */
    public Reservation(String id, String tenantId, String apiKeyId, String endpoint, String provider, String model,
                       long estimateMicroUsd, long createdMs, long deadlineMs, List<WindowRef> windows, String endUser, String tags) {
        this(id, tenantId, apiKeyId, endpoint, provider, model, estimateMicroUsd, createdMs, deadlineMs, windows, endUser, tags, 0);
    }

    /** A reservation without an end user or tags. */
    public Reservation(String id, String tenantId, String apiKeyId, String endpoint, String provider, String model,
                       long estimateMicroUsd, long createdMs, long deadlineMs, List<WindowRef> windows) {
        this(id, tenantId, apiKeyId, endpoint, provider, model, estimateMicroUsd, createdMs, deadlineMs, windows, null, "", 0);
    }

    /** Whether this reservation holds its estimate in the window with this id (it was admitted there). */
    public boolean holds(String windowId) {
        for (WindowRef w : windows) if (w.id().equals(windowId)) return true;
        return false;
    }
}
