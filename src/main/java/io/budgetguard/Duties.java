package io.budgetguard;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.budgetguard.alert.AlertStore;
import io.budgetguard.alert.BudgetAlerts;
import io.budgetguard.budget.RedisCounters;
import io.budgetguard.budget.SpendCounters;
import io.budgetguard.budget.TenantSweep;
import io.budgetguard.config.Settings;
import io.budgetguard.ledger.Ledger;
import io.budgetguard.metrics.Metrics;
import io.budgetguard.store.Database;
import io.budgetguard.tenant.TenantStore;
import io.budgetguard.worker.LedgerDrain;
import io.budgetguard.worker.ReservationExpiry;
import io.budgetguard.worker.Worker;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/** The background duties a process runs, wired to the stores. */
final class Duties {
    private Duties() {}

    /** Tenant ids a full sweep pages through at most (a thousand pages of the directory). */
    static final int MAX_TENANT_PAGES = 1_000;

    /**
     * The background duties, each visiting only tenants with recent activity (its own {@link TenantSweep}); they
     * look back past the longest a reservation can stay outstanding plus two periods.
     */
    static List<Worker.Duty> of(Settings s, Clock clock, Database db, TenantStore tenants, SpendCounters counters,
                                            Ledger ledger, AlertStore alertStore, ObjectMapper json, Metrics metrics, long graceMs,
                                            io.budgetguard.pricing.PriceTable prices, io.budgetguard.tenant.TenantDirectory directory) {
        long lookBackMs = graceMs + 2 * s.workerPeriodMs();
        java.util.function.Consumer<java.util.function.Consumer<String>> everyTenant = c -> tenants.forEachId(MAX_TENANT_PAGES, c);
        List<Worker.Duty> duties = new ArrayList<>();
        if (counters instanceof RedisCounters redis) {
            io.budgetguard.ledger.RedisLedgerStream stream = new io.budgetguard.ledger.RedisLedgerStream(redis.store());
            LedgerDrain drain = new LedgerDrain(stream, new TenantSweep("ledger_drain", counters, everyTenant, lookBackMs, clock),
                    ledger, clock, s.ledgerClaimIdleMs());
            duties.add(new Worker.Duty("ledger_drain", drain::runUntilCaughtUp));
            metrics.ledgerBacklog(() -> {
                long[] health = stream.health();
                return new long[] {drain.pendingEvents(), drain.oldestAgeMs(), health[0], health[1], drain.tenantFailures()};
            });
        }
        ReservationExpiry expiry = new ReservationExpiry(counters, tenants,
                new TenantSweep("reservation_expiry", counters, everyTenant, lookBackMs, clock), clock);
        duties.add(new Worker.Duty("reservation_expiry", expiry::runOnce));
        duties.add(new Worker.Duty("ledger_partitions", () -> db.ensureLedgerPartitions(clock.instant())));
        BudgetAlerts alerts = new BudgetAlerts(tenants, new TenantSweep("budget_alerts", counters, everyTenant, lookBackMs, clock),
                alertStore, counters, s.alertWebhookUrl(), s.alertSmtp(), new io.budgetguard.budget.ForecastHistory(ledger), clock, json);
        duties.add(new Worker.Duty("budget_alerts", alerts::runOnce));
        io.budgetguard.tenant.TenantObjects objects = new io.budgetguard.tenant.TenantObjects(db);
        io.budgetguard.deferred.DeferredSettlement held = new io.budgetguard.deferred.DeferredSettlement(objects, counters, directory,
                metrics, clock);
        io.budgetguard.deferred.BatchSettlement batches = new io.budgetguard.deferred.BatchSettlement(objects, held, s.upstreams(),
                prices, json, clock, s.maxBatchOutputBytes(), s.maxBodyBytes());
        duties.add(new Worker.Duty("batch_settlement", every(s.heldPollMs(), clock, batches::runOnce)));
        io.budgetguard.deferred.BackgroundResponses background = new io.budgetguard.deferred.BackgroundResponses(objects, held,
                s.upstreams(), prices, json, s.maxBodyBytes());
        duties.add(new Worker.Duty("background_responses", every(s.heldPollMs(), clock, background::runOnce)));
        if (s.reconcile() != null) {
            io.budgetguard.billing.Reconciliation reconcile = reconciliation(s, db, alertStore, clock, json);
            duties.add(new Worker.Duty("reconciliation", reconcile::runIfDue));
            metrics.reconciliation(() -> io.budgetguard.billing.Reconciliation.gaps(reconcile.last()));
        }
        if (s.stripe() != null) {
            io.budgetguard.billing.StripeShowback showback = new io.budgetguard.billing.StripeShowback(db,
                    new io.budgetguard.billing.StripeCustomers(db), s.stripe(), clock);
            duties.add(new Worker.Duty("stripe_showback", showback::runOnce));
            metrics.showback(() -> {
                io.budgetguard.billing.StripeShowback.Health h = showback.health();
                return new long[] {h.eventsSent(), h.rowsSkipped(), h.failures(), h.lagRows(), h.lagMs()};
            });
        }
        return duties;
    }

    /**
     * A duty run at most every {@code periodMs} (its first pass at once), on a worker that wakes every worker period:
     * the held objects' polls cost a query per pass, which an idle gateway should not pay every few seconds.
     */
    private static Runnable every(long periodMs, Clock clock, Runnable duty) {
        long[] lastMs = {Long.MIN_VALUE};
        return () -> {
            long now = clock.millis();
            if (lastMs[0] != Long.MIN_VALUE && now - lastMs[0] < periodMs) return;
            lastMs[0] = now;
            duty.run();
        };
    }

    static io.budgetguard.billing.Reconciliation reconciliation(Settings s, Database db, AlertStore alerts, Clock clock, ObjectMapper json) {
        return new io.budgetguard.billing.Reconciliation(db, s.reconcile(), alerts, s.alertWebhookUrl(),
                s.alertSmtp() == null ? List.of() : s.alertSmtp().to(), clock, json);
    }
}
