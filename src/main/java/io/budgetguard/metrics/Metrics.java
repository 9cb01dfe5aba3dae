package io.budgetguard.metrics;

import io.budgetguard.core.Money;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * The gateway's Prometheus metrics, exposed in the text format by hand: the format is a few lines of plain
 * text, and writing it here keeps the hot path at a LongAdder increment with no dependency (the client
 * library would add a registry, a protobuf exposition module and its own threading for the same output).
 * Label values are bounded: routes are patterns, outcomes are error codes, tenants are ids.
 */
public final class Metrics {
    /** Whether /metrics lists each tenant's spend (METRICS_PER_TENANT): off by default, since it names every tenant. */
    private final boolean perTenant;

    public Metrics(boolean perTenant) {
        this.perTenant = perTenant;
    }

    public static final int MAX_TENANT_SERIES = 10_000;

    public final Histogram admission = new Histogram("budgetguard_admission_seconds",
            "Time of the atomic budget and rate-limit admission step.");
    public final Histogram policy = new Histogram("budgetguard_policy_seconds", "Time of one Rego policy evaluation.");
    public final Histogram upstream = new Histogram("budgetguard_upstream_seconds",
            "Time from forwarding a request until the upstream's response headers.");
    private final ConcurrentHashMap<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, LongAdder> spendMicroUsd = new ConcurrentHashMap<>();
    private final AtomicLong reservationsOutstanding = new AtomicLong();
    private final LongAdder admitted = new LongAdder();
    private final LongAdder ledgerRows = new LongAdder();
    private final LongAdder settledTwice = new LongAdder();
    private final LongAdder failedAfterSend = new LongAdder();
    private final LongAdder overruns = new LongAdder();
    private final LongAdder overrunMicroUsd = new LongAdder();
    private volatile Supplier<String> policyRevision = () -> null;
    private volatile Supplier<Integer> inflight = () -> 0;
    /** {events sent, rows skipped, failed batches, rows not yet reported, age of the oldest in ms}; null without Stripe. */
    private volatile Supplier<long[]> showback;
    /** Per provider of the last reconciliation: {days flagged, absolute gap in micro-USD}; null without it. */
    private volatile Supplier<Map<String, long[]>> reconciliation;
    private volatile Supplier<long[]> ledgerBacklog = () -> new long[] {0, 0, 0, 0, 0};

    public void request(String route, String outcome) {
        requests.computeIfAbsent(route + '\u0000' + outcome, k -> new LongAdder()).increment();
    }

    public void spend(String tenantId, long microUsd) {
        if (microUsd <= 0) return;
        LongAdder a = spendMicroUsd.get(tenantId);
        if (a == null) {
            if (spendMicroUsd.size() >= MAX_TENANT_SERIES) return;
            a = spendMicroUsd.computeIfAbsent(tenantId, k -> new LongAdder());
        }
        a.add(microUsd);
    }

    public void reserved() {
        admitted.increment();
        reservationsOutstanding.incrementAndGet();
    }

    /** A settled request's ledger row was written (or handed to the ledger stream in the settle step). */
    public void ledgerRowRecorded() {
        ledgerRows.increment();
    }

    /** An invariant broke: a reservation this gateway admitted was found settled already. */
    public void settledTwice() {
        settledTwice.increment();
    }

    /** The upstream connection failed after the request was written: settled as "may have been billed". */
    public void upstreamFailedAfterSend() {
        failedAfterSend.increment();
    }

    /** A settled cost came out above its reservation: recorded whole, the excess counted here. */
    public void overrun(long excessMicroUsd) {
        overruns.increment();
        overrunMicroUsd.add(excessMicroUsd);
    }

    /** {overrun settlements, micro-USD settled above their reservations}. */
    public long[] overruns() {
        return new long[] {overruns.sum(), overrunMicroUsd.sum()};
    }

    /** {admitted, outstanding, ledger rows recorded, settled twice}: the settle-once invariant's figures. */
    public long[] settlement() {
        return new long[] {admitted.sum(), reservationsOutstanding.get(), ledgerRows.sum(), settledTwice.sum()};
    }

    public void released() {
        reservationsOutstanding.decrementAndGet();
    }

    public void policyRevision(Supplier<String> revision) {
        policyRevision = revision;
    }

    /**
     * {pending events, age of the oldest in ms, consumer groups recreated, entries dead-lettered, tenant drains
     * failed}: from the ledger drain when this process runs it.
     */
    public void ledgerBacklog(Supplier<long[]> backlog) {
        ledgerBacklog = backlog;
    }

    /** The last reconciliation's gaps per provider, from the duty when this process runs it. */
    public void reconciliation(Supplier<Map<String, long[]>> gaps) {
        reconciliation = gaps;
    }

    /** Stripe showback's counters, from the duty when this process runs it. */
    public void showback(Supplier<long[]> health) {
        showback = health;
    }

    public void inflight(Supplier<Integer> requestsInFlight) {
        inflight = requestsInFlight;
    }

    public String render() {
        StringBuilder b = new StringBuilder(4096);
        b.append("# HELP budgetguard_requests_total Requests answered, by route and outcome.\n");
        b.append("# TYPE budgetguard_requests_total counter\n");
        for (Map.Entry<String, LongAdder> e : new TreeMap<>(requests).entrySet()) {
            String[] k = e.getKey().split("\u0000", 2);
            b.append("budgetguard_requests_total{route=\"").append(escape(k[0])).append("\",outcome=\"").append(escape(k[1]))
                    .append("\"} ").append(e.getValue().sum()).append('\n');
        }
        admission.render(b);
        policy.render(b);
        upstream.render(b);
        if (perTenant) {
            b.append("# HELP budgetguard_spend_usd_total Settled spend through this gateway since it started, by tenant.\n");
            b.append("# TYPE budgetguard_spend_usd_total counter\n");
            for (Map.Entry<String, LongAdder> e : new TreeMap<>(spendMicroUsd).entrySet()) {
                b.append("budgetguard_spend_usd_total{tenant=\"").append(escape(e.getKey())).append("\"} ")
                        .append(Money.usd(e.getValue().sum()).toPlainString()).append('\n');
            }
        } else {
            long total = 0;
            for (LongAdder a : spendMicroUsd.values()) total += a.sum();
            b.append("# HELP budgetguard_spend_usd_total Settled spend through this gateway since it started (per tenant "
                    + "with METRICS_PER_TENANT=true).\n");
            b.append("# TYPE budgetguard_spend_usd_total counter\n");
            b.append("budgetguard_spend_usd_total ").append(Money.usd(total).toPlainString()).append('\n');
        }
        gauge(b, "budgetguard_reservations_outstanding", "Reservations this gateway holds for requests in flight.",
                reservationsOutstanding.get());
        gauge(b, "budgetguard_requests_inflight", "Requests being handled right now.", inflight.get());
        counter(b, "budgetguard_upstream_failed_after_send_total", "Upstream calls that failed after the request "
                + "was written: never resent, settled at their estimate because the upstream may have billed them.",
                failedAfterSend.sum());
        counter(b, "budgetguard_settle_overrun_total", "Settlements whose actual cost exceeded the reservation (recorded "
                + "whole, never clamped; the budget's remaining goes negative by the excess).", overruns.sum());
        b.append("# HELP budgetguard_settle_overrun_usd_total Cost settled above reservations, in USD.\n");
        b.append("# TYPE budgetguard_settle_overrun_usd_total counter\n");
        b.append("budgetguard_settle_overrun_usd_total ").append(Money.usd(overrunMicroUsd.sum()).toPlainString()).append('\n');
        counter(b, "budgetguard_invariant_settled_twice_total", "Admitted requests found already settled (a bug; "
                + "always 0).", settledTwice.sum());
        long[] backlog = ledgerBacklog.get();
        b.append("# HELP budgetguard_ledger_lag_seconds Age of the oldest usage event not yet in the ledger database.\n");
        b.append("# TYPE budgetguard_ledger_lag_seconds gauge\n");
        b.append("budgetguard_ledger_lag_seconds ").append(backlog[1] / 1000.0).append('\n');
        gauge(b, "budgetguard_ledger_pending_events", "Usage events in the Redis ledger streams, not yet in the ledger database.",
                backlog[0]);
        counter(b, "budgetguard_ledger_groups_recreated_total", "Ledger-stream consumer groups Redis had lost (restart "
                + "without AOF, FLUSHALL, failover) and the drain recreated.", backlog[2]);
        counter(b, "budgetguard_ledger_dead_letters_total", "Usage events the ledger database refused for their data "
                + "(or that could not be read), parked in the tenant's dead-letter stream {tenant}:ledger:dead; alert on any.",
                backlog[3]);
        counter(b, "budgetguard_ledger_drain_tenant_failures_total", "Tenant drains that failed and were skipped for "
                + "their pass (the rest of the pass went on).", backlog[4]);
        Supplier<long[]> stripe = showback;
        if (stripe != null) {
            long[] h = stripe.get();
            counter(b, "budgetguard_stripe_meter_events_total", "Ledger rows reported to Stripe as meter events by this process.", h[0]);
            counter(b, "budgetguard_stripe_rows_skipped_total", "Ledger rows Stripe refused as meter events (e.g. older than "
                    + "35 days), skipped and logged as stripe_meter_event_refused.", h[1]);
            counter(b, "budgetguard_stripe_failures_total", "Reporting batches stopped by a transient failure (network, 429, "
                    + "5xx, authentication) and retried after a backoff.", h[2]);
            gauge(b, "budgetguard_stripe_lag_rows", "Ledger rows of mapped tenants not yet reported to Stripe.", h[3]);
            b.append("# HELP budgetguard_stripe_lag_seconds Age of the oldest ledger row not yet reported to Stripe.\n");
            b.append("# TYPE budgetguard_stripe_lag_seconds gauge\n");
            b.append("budgetguard_stripe_lag_seconds ").append(h[4] / 1000.0).append('\n');
        }
        Supplier<Map<String, long[]>> recon = reconciliation;
        if (recon != null) {
            Map<String, long[]> g = recon.get();
            b.append("# HELP budgetguard_reconcile_gap_usd Difference between what the provider billed and what the ledger recorded, "
                    + "summed over the days of the last check (absolute per day).\n");
            b.append("# TYPE budgetguard_reconcile_gap_usd gauge\n");
            g.forEach((p, v) -> b.append("budgetguard_reconcile_gap_usd{provider=\"").append(escape(p)).append("\"} ")
                    .append(Money.usd(v[1]).toPlainString()).append('\n'));
            b.append("# HELP budgetguard_reconcile_flagged_days Days of the last check whose totals disagree past the threshold.\n");
            b.append("# TYPE budgetguard_reconcile_flagged_days gauge\n");
            g.forEach((p, v) -> b.append("budgetguard_reconcile_flagged_days{provider=\"").append(escape(p)).append("\"} ")
                    .append(v[0]).append('\n'));
        }
        String revision = policyRevision.get();
        b.append("# HELP budgetguard_policy_info The loaded policy's revision (absent when no custom policy is active).\n");
        b.append("# TYPE budgetguard_policy_info gauge\n");
        if (revision != null) b.append("budgetguard_policy_info{revision=\"").append(escape(revision)).append("\"} 1\n");
        return b.toString();
    }

    private static void counter(StringBuilder b, String name, String help, long value) {
        series(b, name, help, "counter", value);
    }

    private static void gauge(StringBuilder b, String name, String help, long value) {
        series(b, name, help, "gauge", value);
    }

    /** One unlabelled series with its HELP and TYPE lines. */
    private static void series(StringBuilder b, String name, String help, String type, long value) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        b.append(name).append(' ').append(value).append('\n');
    }

    private static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
