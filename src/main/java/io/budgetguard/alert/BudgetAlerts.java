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
 * forecast passes the limit, a Slack-compatible message goes to the tenant's webhook or the global one, and an email
 * to the tenant's recipients or the global ones when an SMTP relay is set: once per threshold per window and channel
 * (per span-long bucket for a rolling window). Deliveries are recorded before sending, retried with exponential
 * backoff, and survive restarts.
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
    private final SmtpRelay relay;
    private final AlertMail mail;
    private final io.budgetguard.budget.ForecastHistory history;
    private final Clock clock;
    private final ObjectMapper json;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(SEND_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER).build();

    /**
     * @param sweep which tenants a pass checks (those with recent activity: spend only moves with activity)
     * @param relay the SMTP relay for email alerts, null for none
     */
    public BudgetAlerts(TenantStore tenants, io.budgetguard.budget.TenantSweep sweep, AlertStore store, SpendCounters counters,
                        String globalWebhook, SmtpRelay relay, io.budgetguard.budget.ForecastHistory history, Clock clock,
                        ObjectMapper json) {
        this.history = history;
        this.tenants = tenants;
        this.sweep = sweep;
        this.store = store;
        this.counters = counters;
        this.globalWebhook = globalWebhook;
        this.relay = relay;
        this.mail = relay == null ? null : new AlertMail(relay);
        this.clock = clock;
        this.json = json;
    }

    /** One pass: record newly crossed thresholds, then send what is due. Returns how many were sent. */
    public int runOnce() {
        sweep.forEachLogged(id -> tenants.find(id).ifPresent(this::check));
        return deliverDue();
    }

    /** Where one tenant's alerts go: its webhook (or none) and its email recipients (or none). */
    private record Destinations(String webhook, String emailTo) {}

    private Destinations destinations(AlertSettings s) {
        String webhook = s.webhookUrl() != null ? s.webhookUrl() : globalWebhook;
        java.util.List<String> to = relay == null ? java.util.List.of() : s.emailTo().isEmpty() ? relay.to() : s.emailTo();
        return new Destinations(webhook, to.isEmpty() ? null : String.join(",", to));
    }

    private void check(Tenant t) {
        AlertSettings s = store.find(t.id()).orElse(AlertSettings.defaults());
        Destinations to = destinations(s);
        if ((to.webhook() == null && to.emailTo() == null) || t.budgets().isEmpty()) return;
        long now = clock.millis();
        for (WindowUsage u : counters.usage(t.id(), WindowRef.all(t.budgets(), now), now)) {
            long limit = u.window().limitMicroUsd();
            if (limit == 0) continue;
            Forecast f = history.forecast(t.id(), u, now);
            for (int pct : s.thresholdsPct()) {
                if (u.spentMicroUsd() * 100 >= limit * (long) pct) {
                    enqueue(t, u, "threshold", pct, thresholdMessage(t, u, pct, f), to);
                }
            }
            if (f.projectedOver(limit) && u.spentMicroUsd() < limit) {
                enqueue(t, u, "forecast", 0, forecastMessage(t, u, f), to);
            }
        }
    }

    private void enqueue(Tenant t, WindowUsage u, String kind, int pct, String message, Destinations to) {
        Instant now = clock.instant();
        String windowId = alertWindowId(u.window(), now.toEpochMilli());
        if (to.webhook() != null) enqueue(new AlertStore.Delivery(t.id(), windowId, kind, pct, AlertStore.Channel.WEBHOOK,
                message, to.webhook(), 0, now), now);
        if (to.emailTo() != null) enqueue(new AlertStore.Delivery(t.id(), windowId, kind, pct, AlertStore.Channel.EMAIL,
                message, to.emailTo(), 0, now), now);
    }

    private void enqueue(AlertStore.Delivery d, Instant now) {
        if (store.enqueue(d, now)) {
            JsonLog.info("alert_recorded", "tenant", d.tenantId(), "window", d.windowId(), "kind", d.kind(),
                    "threshold_pct", d.thresholdPct(), "channel", d.channel().column());
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
            if (d.channel() == AlertStore.Channel.EMAIL ? mail(d) : post(d)) {
                store.finish(d, "sent", attempts, now, clock.instant());
                sent++;
            } else if (attempts >= MAX_ATTEMPTS) {
                store.finish(d, "failed", attempts, now, null);
                JsonLog.error("alert_failed", "tenant", d.tenantId(), "window", d.windowId(), "channel", d.channel().column(),
                        "attempts", attempts);
            } else {
                long backoff = Math.min(MAX_BACKOFF_MS, 1_000L << attempts);
                store.finish(d, "pending", attempts, now.plusMillis(backoff), null);
            }
        }
        return sent;
    }

    private boolean post(AlertStore.Delivery d) {
        try {
            String body = json.writeValueAsString(Map.of("text", d.message()));
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(d.destination())).timeout(SEND_TIMEOUT)
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() / 100 == 2) return true;
            JsonLog.warn("alert_send_refused", "tenant", d.tenantId(), "status", r.statusCode(),
                    "webhook", AlertSettings.redacted(d.destination()));
        } catch (IOException | IllegalArgumentException e) {
            JsonLog.warn("alert_send_failed", "tenant", d.tenantId(), "error", e.getClass().getSimpleName(),
                    "webhook", AlertSettings.redacted(d.destination()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    /** Mails one delivery; without a relay here (another process recorded it) it waits for one that has it. */
    private boolean mail(AlertStore.Delivery d) {
        if (mail == null) {
            JsonLog.warn("alert_email_no_relay", "tenant", d.tenantId(), "window", d.windowId());
            return false;
        }
        try {
            mail.send(AlertStore.split(d.destination()), subject(d), plainText(d.message()), messageId(d));
            return true;
        } catch (jakarta.mail.MessagingException | IllegalArgumentException e) {
            // The exception's class and the relay's reply code say why; its message may quote addresses, never the password.
            JsonLog.warn("alert_email_failed", "tenant", d.tenantId(), "error", e.getClass().getSimpleName(),
                    "reply", replyCode(e),
                    "relay", relay.host() + ":" + relay.port());
            return false;
        }
    }

    /** The relay's SMTP reply code when it refused the message (535 is a wrong password), else -1. */
    private static int replyCode(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof org.eclipse.angus.mail.smtp.SMTPSenderFailedException f) return f.getReturnCode();
            if (t instanceof org.eclipse.angus.mail.smtp.SMTPSendFailedException f) return f.getReturnCode();
            if (t instanceof org.eclipse.angus.mail.smtp.SMTPAddressFailedException f) return f.getReturnCode();
        }
        return -1;
    }

    static String subject(AlertStore.Delivery d) {
        if (d.kind().equals("reconcile")) {
            String[] w = d.windowId().split(":", 3);
            return "BudgetGuard: " + w[1] + "'s bill for " + w[2] + " and the ledger disagree";
        }
        return "BudgetGuard: tenant " + d.tenantId() + (d.kind().equals("forecast") ? " is projected over its budget"
                : d.thresholdPct() >= 100 ? " has used its whole budget" : " has used " + d.thresholdPct() + "% of its budget");
    }

    /** The Slack text without its emoji codes and bold marks. */
    static String plainText(String slack) {
        return slack.replaceFirst("^:[a-z_]+: ", "").replace("*", "") + "\n\n-- BudgetGuard budget alerts\n";
    }

    static String messageId(AlertStore.Delivery d) {
        String key = d.tenantId() + "|" + d.windowId() + "|" + d.kind() + "|" + d.thresholdPct();
        return "alert." + io.budgetguard.core.Sha256.hex(key).substring(0, 32);
    }

    static String thresholdMessage(Tenant t, WindowUsage u, int pct, Forecast f) {
        WindowRef w = u.window();
        String runsOut = f.runsOutAtMs() == null ? "" : " At the forecast it runs out at " + Instant.ofEpochMilli(f.runsOutAtMs()) + ".";
        return (pct >= 100 ? ":no_entry: " : ":warning: ") + "BudgetGuard: tenant *" + t.id() + "* has used " + pct + "% of its "
                + w.period().name() + " budget: $" + usd(u.spentMicroUsd()) + " of $" + usd(w.limitMicroUsd())
                + window(w) + "." + runsOut;
    }

    static String forecastMessage(Tenant t, WindowUsage u, Forecast f) {
        WindowRef w = u.window();
        String range = f.lowMicroUsd() == f.highMicroUsd() ? ""
                : " (likely $" + usd(f.lowMicroUsd()) + " to $" + usd(f.highMicroUsd()) + ", from " + f.historyDays() + " days of history)";
        String runsOut = f.runsOutAtMs() == null ? "."
                : "; the budget runs out at " + Instant.ofEpochMilli(f.runsOutAtMs())
                + (f.runsOutEarliestMs() != null && !f.runsOutEarliestMs().equals(f.runsOutAtMs())
                        ? " (as early as " + Instant.ofEpochMilli(f.runsOutEarliestMs()) + ")" : "") + ".";
        return ":chart_with_upwards_trend: BudgetGuard: tenant *" + t.id() + "* is projected to spend $" + usd(f.projectedMicroUsd())
                + range + " in its " + w.period().name() + " window" + window(w) + ", over its $" + usd(w.limitMicroUsd()) + " limit"
                + runsOut;
    }

    private static String window(WindowRef w) {
        return w.rolling() ? "" : " (" + Instant.ofEpochMilli(w.startMs()) + " to " + Instant.ofEpochMilli(w.endMs()) + ")";
    }

    private static String usd(long micro) {
        return Money.display(micro);
    }
}
