package io.budgetguard.budget;

import io.budgetguard.core.StoreUnavailableException;
import io.budgetguard.log.JsonLog;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Which tenants a background duty visits in a pass: those marked active since shortly before its last pass in
 * which every visit succeeded, so its cost follows activity, not the number of tenants. The first pass of a
 * process (marks may predate it, or predate marking at all) and a pass after the marks it needs were forgotten
 * visit every tenant. A tenant stays visible for {@code lookBackMs} after its last mark, longer than any
 * reservation, stream entry or threshold crossing that activity can leave behind takes to be handled once the
 * duty succeeds.
 */
public final class TenantSweep {
    /** Activity marks older than this are forgotten; a duty that last succeeded before that sweeps everything. */
    public static final long FORGET_AFTER_MS = 7L * 24 * 3_600_000;
    static final int MAX_ACTIVE_PER_PASS = 100_000;

    private final String duty;
    private final SpendCounters counters;
    private final Consumer<Consumer<String>> everyTenant;
    private final long lookBackMs;
    private final Clock clock;
    /** Full passes after the marks were lost: at least two, spanning more than a gateway's mark interval. */
    static final int FULL_PASSES_AFTER_LOSS = 2;
    static final long FULL_SWEEP_AFTER_LOSS_MS = 2 * RedisActivity.ACTIVE_MARK_INTERVAL_MS;

    /** Start of the last pass in which every visit succeeded; -1 before the first. */
    private long coveredSinceMs = -1;
    private String epoch;
    private int fullPassesOwed;
    private long fullUntilMs;

    /**
     * @param everyTenant calls its argument with each tenant id (the directory, paged)
     * @param lookBackMs how long after its last mark a tenant may still have work for this duty
     */
    public TenantSweep(String duty, SpendCounters counters, Consumer<Consumer<String>> everyTenant, long lookBackMs, Clock clock) {
        if (lookBackMs <= 0 || lookBackMs >= FORGET_AFTER_MS) throw new IllegalArgumentException("look-back out of range: " + lookBackMs);
        this.duty = duty;
        this.counters = counters;
        this.everyTenant = everyTenant;
        this.lookBackMs = lookBackMs;
        this.clock = clock;
    }

    /** What a pass visited, and whether every visit succeeded. */
    public record Pass(int visited, boolean full, boolean succeeded) {}

    /**
     * Visits each tenant that may have work; a tenant whose visit throws is logged ({@code <duty>_tenant_failed}: a
     * warning when a store is unavailable, a bug with its stack trace otherwise) and counts as a failed visit.
     */
    public Pass forEachLogged(Consumer<String> visit) {
        return forEach(id -> {
            try {
                visit.accept(id);
                return true;
            } catch (StoreUnavailableException e) {
                JsonLog.warn(duty + "_tenant_failed", "tenant", id, "error", e.getMessage());
                return false;
            } catch (RuntimeException e) {
                JsonLog.bug(duty + "_tenant_failed", e, "tenant", id);
                return false;
            }
        });
    }

    /**
     * Visits each tenant that may have work; {@code visit} returns false when it failed for that tenant (the
     * others are still visited, and the next pass looks back from the same point).
     */
    public synchronized Pass forEach(Predicate<String> visit) {
        long startMs = clock.millis();
        String now = counters.activityEpoch();
        if (epoch != null && !epoch.equals(now)) {
            // Gateways that marked a tenant shortly before the loss do not mark it again for a mark interval.
            JsonLog.warn("sweep_marks_lost", "duty", duty);
            fullPassesOwed = FULL_PASSES_AFTER_LOSS;
            fullUntilMs = startMs + FULL_SWEEP_AFTER_LOSS_MS;
        }
        epoch = now;
        boolean full = coveredSinceMs < 0 || startMs - coveredSinceMs > FORGET_AFTER_MS - lookBackMs
                || fullPassesOwed > 0 || startMs < fullUntilMs;
        List<String> ids = full ? null : counters.activeSince(coveredSinceMs - lookBackMs, MAX_ACTIVE_PER_PASS);
        if (ids != null && ids.size() >= MAX_ACTIVE_PER_PASS) {
            JsonLog.warn("sweep_active_overflow", "duty", duty, "active", ids.size());
            full = true;
        }
        if (full) {
            List<String> all = new ArrayList<>();
            everyTenant.accept(all::add);
            ids = all;
        }
        boolean ok = true;
        for (String id : ids) ok &= visit.test(id);
        if (ok) {
            if (full && fullPassesOwed > 0) fullPassesOwed--;
            coveredSinceMs = startMs;
            counters.forgetActiveBefore(startMs - FORGET_AFTER_MS);
        }
        return new Pass(ids.size(), full, ok);
    }
}
