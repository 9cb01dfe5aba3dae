package io.budgetguard.alert;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.budgetguard.budget.Forecast;
import io.budgetguard.core.Money;
import io.budgetguard.budget.SpendCounters;
import io.budgetguard.core.WindowRef;
import io.budgetguard.budget.WindowUsage;
import io.budgetguard.log.JsonLog;
import io.budgetguard.tenant.Tenant;
import io.budgetguard.tenant.TenantStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * The budget-alert duty: when a window's spend passes a threshold (default 50, 80, 100 % of its limit), or its
 * forecast passes the limit, a Slack-compatible message goes to the tenant's webhook or the global one, once
 * per threshold per window (per span-long bucket for a rolling window). Deliveries are recorded before sending, retried with exponential backoff, and
 * survive restarts.
 */
public final class BudgetAlerts {
    static final int MAX_ATTEMPTS = 8;
    static final long MAX_BACKOFF_MS = 300_000;
    static final long CLAIM_MS = 60_000;
    static final Duration SEND_TIMEOUT = Duration.ofSeconds(5);

    private final TenantStore tenants;
    private final io.budgetguard.budget.TenantSweep sweep;
    private final AlertStore store;
    private final SpendCounters counters;
    private final String globalWebhook;
    private final Clock clock;
    private final ObjectMapper json;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(SEND_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER).build();

    /** @param sweep which tenants a pass checks (those with recent activity: spend only moves with activity) */
    public BudgetAlerts(TenantStore tenants, io.budgetguard.budget.TenantSweep sweep, AlertStore store, SpendCounters counters,
                        String globalWebhook, Clock clock, ObjectMapper json) {
        this.tenants = tenants;
        this.sweep = sweep;
        this.store = store;
        this.counters = counters;
        this.globalWebhook = globalWebhook;
        this.clock = clock;
        this.json = json;
    }

    /** One pass: record newly crossed thresholds, then send what is due. Returns how many were sent. */
    public int runOnce() {
        sweep.forEachLogged(id -> tenants.find(id).ifPresent(this::check));
        return deliverDue();
    }

    private void check(Tenant t) {
        AlertSettings s = store.find(t.id()).orElse(new AlertSettings(AlertSettings.DEFAULT_THRESHOLDS_PCT, null));
        String webhook = s.webhookUrl() != null ? s.webhookUrl() : globalWebhook;
        if (webhook == null || t.budgets().isEmpty()) return;
        long now = clock.millis();
        for (WindowUsage u : counters.usage(t.id(), WindowRef.all(t.budgets(), now), now)) {
            long limit = u.window().limitMicroUsd();
            if (limit == 0) continue;
            Forecast f = Forecast.of(u, now);
            for (int pct : s.thresholdsPct()) {
                if (u.spentMicroUsd() * 100 >= limit * (long) pct) {
                    enqueue(t, u, "threshold", pct, thresholdMessage(t, u, pct, f), webhook);
                }
            }
            if (f.projectedOver(limit) && u.spentMicroUsd() < limit) {
                enqueue(t, u, "forecast", 0, forecastMessage(t, u, f), webhook);
            }
        }
    }

    private void enqueue(Tenant t, WindowUsage u, String kind, int pct, String message, String webhook) {
        Instant now = clock.instant();
        String windowId = alertWindowId(u.window(), now.toEpochMilli());
        if (store.enqueue(new AlertStore.Delivery(t.id(), windowId, kind, pct, message, webhook, 0, now), now)) {
            JsonLog.info("alert_recorded", "tenant", t.id(), "window", windowId, "kind", kind, "threshold_pct", pct);
        }
    }

    /**
     * The window instance an alert belongs to: a calendar window's own id (it carries its start), and for a rolling
     * window its span plus the number of the span-long bucket {@code now} falls in, so a rolling:24h budget alerts at
     * most once per threshold per UTC day, and again on a later day it crosses the threshold.
     */
    static String alertWindowId(WindowRef w, long nowMs) {
        if (w.period().kind() != io.budgetguard.core.BudgetPeriod.Kind.ROLLING) return w.id();
        return w.id() + "@" + Math.floorDiv(nowMs, w.period().rollingSpan().toMillis());
    }

    private int deliverDue() {
        int sent = 0;
        Instant now = clock.instant();
        for (AlertStore.Delivery d : store.due(now)) {
            if (!store.claim(d, now.plusMillis(CLAIM_MS))) continue;
            int attempts = d.attempts() + 1;
            if (send(d)) {
                store.finish(d, "sent", attempts, now, clock.instant());
                sent++;
            } else if (attempts >= MAX_ATTEMPTS) {
                store.finish(d, "failed", attempts, now, null);
                JsonLog.error("alert_failed", "tenant", d.tenantId(), "window", d.windowId(), "attempts", attempts);
            } else {
                long backoff = Math.min(MAX_BACKOFF_MS, 1_000L << attempts);
                store.finish(d, "pending", attempts, now.plusMillis(backoff), null);
            }
        }
        return sent;
    }

    private boolean send(AlertStore.Delivery d) {
        try {
            String body = json.writeValueAsString(Map.of("text", d.message()));
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(d.webhookUrl())).timeout(SEND_TIMEOUT)
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() / 100 == 2) return true;
            JsonLog.warn("alert_send_refused", "tenant", d.tenantId(), "status", r.statusCode(),
                    "webhook", AlertSettings.redacted(d.webhookUrl()));
        } catch (IOException | IllegalArgumentException e) {
            JsonLog.warn("alert_send_failed", "tenant", d.tenantId(), "error", e.getClass().getSimpleName(),
                    "webhook", AlertSettings.redacted(d.webhookUrl()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    static String thresholdMessage(Tenant t, WindowUsage u, int pct, Forecast f) {
        WindowRef w = u.window();
        String runsOut = f.runsOutAtMs() == null ? "" : " At the current burn rate it runs out at " + Instant.ofEpochMilli(f.runsOutAtMs()) + ".";
        return (pct >= 100 ? ":no_entry: " : ":warning: ") + "BudgetGuard: tenant *" + t.id() + "* has used " + pct + "% of its "
                + w.period().name() + " budget: $" + usd(u.spentMicroUsd()) + " of $" + usd(w.limitMicroUsd())
                + window(w) + "." + runsOut;
    }

    static String forecastMessage(Tenant t, WindowUsage u, Forecast f) {
        WindowRef w = u.window();
        return ":chart_with_upwards_trend: BudgetGuard: tenant *" + t.id() + "* is projected to spend $" + usd(f.projectedMicroUsd())
                + " in its " + w.period().name() + " window" + window(w) + ", over its $" + usd(w.limitMicroUsd()) + " limit"
                + (f.runsOutAtMs() == null ? "." : "; the budget runs out at " + Instant.ofEpochMilli(f.runsOutAtMs()) + ".");
    }

    private static String window(WindowRef w) {
        return w.rolling() ? "" : " (" + Instant.ofEpochMilli(w.startMs()) + " to " + Instant.ofEpochMilli(w.endMs()) + ")";
    }

    private static String usd(long micro) {
        return Money.display(micro);
    }
}
