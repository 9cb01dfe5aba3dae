package io.budgetguard.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.budgetguard.alert.AlertSettings;
import io.budgetguard.alert.AlertStore;
import io.budgetguard.budget.Forecast;
import io.budgetguard.budget.SpendCounters;
import io.budgetguard.budget.WindowUsage;
import io.budgetguard.core.WindowRef;
import io.budgetguard.tenant.ApiKey;
import io.budgetguard.tenant.Tenant;
import io.budgetguard.tenant.TenantStore;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/** A tenant as the admin API shows it: each budget's current window (limit, spent, reserved, remaining, forecast), alerts, keys. */
final class TenantView {
    private final ObjectMapper json;
    private final Clock clock;
    private final TenantStore tenants;
    private final SpendCounters counters;
    private final AlertStore alerts;
    private final String globalWebhook;

    private final io.budgetguard.budget.ForecastHistory history;

    TenantView(ObjectMapper json, Clock clock, TenantStore tenants, SpendCounters counters, AlertStore alerts, String globalWebhook,
               io.budgetguard.budget.ForecastHistory history) {
        this.history = history;
        this.json = json;
        this.clock = clock;
        this.tenants = tenants;
        this.counters = counters;
        this.alerts = alerts;
        this.globalWebhook = globalWebhook;
    }

    /** {@code withSpend} false: a tenant just created has spent nothing, and its view needs no counter store. */
    ObjectNode of(Tenant t, boolean withSpend) {
        long now = clock.millis();
        List<WindowRef> refs = WindowRef.all(t.budgets(), now);
        List<WindowUsage> usage = withSpend ? counters.usage(t.id(), refs, now)
                : refs.stream().map(w -> new WindowUsage(w, 0, 0)).toList();
        ObjectNode o = json.createObjectNode();
        o.put("id", t.id());
        o.put("name", t.name());
        o.put("rate_limit_per_min", t.rateLimitPerMin());
        if (t.tokensPerMin() == null) o.putNull("tokens_per_min");
        else o.put("tokens_per_min", t.tokensPerMin().longValue());
        if (t.defaultMaxOutputTokens() == null) o.putNull("default_max_output_tokens");
        else o.put("default_max_output_tokens", t.defaultMaxOutputTokens().longValue());
        o.put("created_at", t.createdAt().toString());
        windows(o.putArray("budgets"), usage, now, t.id(), withSpend);
        AlertSettings a = alerts.find(t.id()).orElse(AlertSettings.defaults());
        ObjectNode ao = o.putObject("alerts");
        ArrayNode pcts = ao.putArray("thresholds_pct");
        a.thresholdsPct().forEach(pcts::add);
        ao.put("webhook", a.webhookUrl() != null ? AlertSettings.redacted(a.webhookUrl())
                : globalWebhook != null ? "global" : null);
        if (a.emailTo().isEmpty()) {
            ao.putNull("email_to"); // ALERT_EMAIL_TO's recipients, when the alerts process has a relay
        } else {
            ArrayNode to = ao.putArray("email_to");
            a.emailTo().forEach(to::add);
        }
        ArrayNode keys = o.putArray("api_keys");
        for (ApiKey k : tenants.keysOf(t.id())) {
            ObjectNode ko = keys.addObject();
            ko.put("id", k.id());
            ko.put("name", k.name());
            ko.put("prefix", k.prefix());
            ko.put("created_at", k.createdAt().toString());
            ko.put("revoked_at", k.revokedAt() == null ? null : k.revokedAt().toString());
            ko.put("expires_at", k.controls().expiresAt() == null ? null : k.controls().expiresAt().toString());
            if (k.controls().allowedModels().isEmpty()) {
                ko.putNull("allowed_models");
            } else {
                ArrayNode am = ko.putArray("allowed_models");
                k.controls().allowedModels().stream().sorted().forEach(am::add);
            }
            if (k.controls().defaultMaxOutputTokens() == null) ko.putNull("default_max_output_tokens");
            else ko.put("default_max_output_tokens", k.controls().defaultMaxOutputTokens().longValue());
            if (k.controls().rateLimitPerMin() == null) ko.putNull("rate_limit_per_min");
            else ko.put("rate_limit_per_min", k.controls().rateLimitPerMin().intValue());
            if (k.controls().tokensPerMin() == null) ko.putNull("tokens_per_min");
            else ko.put("tokens_per_min", k.controls().tokensPerMin().longValue());
            List<io.budgetguard.core.Budget> own = t.keyBudgets().getOrDefault(k.id(), List.of());
            windows(ko.putArray("budgets"), scoped(t.id(), own, io.budgetguard.core.WindowScope.key(k.id()), now, withSpend), now, t.id(), withSpend);
        }
        ObjectNode users = o.putObject("end_users");
        ArrayNode defaults = users.putArray("default_budgets");
        for (io.budgetguard.core.Budget b : t.userDefaultBudgets()) {
            ObjectNode bo = defaults.addObject();
            bo.put("period", b.period().name());
            bo.put("limit_usd", UsageRoutes.usd(b.limitMicroUsd()));
        }
        ArrayNode own = users.putArray("users");
        for (var e : new java.util.TreeMap<>(t.userBudgets()).entrySet()) {
            ObjectNode uo = own.addObject();
            uo.put("id", e.getKey());
            windows(uo.putArray("budgets"), scoped(t.id(), e.getValue(), io.budgetguard.core.WindowScope.user(e.getKey()), now, withSpend), now, t.id(), false);
        }
        ArrayNode groups = o.putArray("model_groups");
        for (Tenant.ModelGroup g : t.modelGroups()) {
            ObjectNode go = groups.addObject();
            go.put("name", g.name());
            ArrayNode ms = go.putArray("models");
            g.models().stream().sorted().forEach(ms::add);
            windows(go.putArray("budgets"), scoped(t.id(), g.budgets(), g.scope(), now, withSpend), now, t.id(), withSpend);
        }
        return o;
    }

    private List<WindowUsage> scoped(String tenantId, List<io.budgetguard.core.Budget> budgets,
                                     io.budgetguard.core.WindowScope scope, long now, boolean withSpend) {
        List<WindowRef> refs = budgets.stream().map(b -> WindowRef.of(b, now, scope)).toList();
        if (refs.isEmpty()) return List.of();
        return withSpend ? counters.usage(tenantId, refs, now) : refs.stream().map(w -> new WindowUsage(w, 0, 0)).toList();
    }

    /**
     * Each window with its limit, spend, reservations, what remains and its forecast: from the ledger's history with
     * {@code fromHistory} (end users' windows, possibly thousands, use their burn rate), else from the burn rate.
     */
    private void windows(ArrayNode budgets, List<WindowUsage> usage, long now, String tenantId, boolean fromHistory) {
        for (WindowUsage u : usage) {
            WindowRef w = u.window();
            ObjectNode bo = budgets.addObject();
            bo.put("period", w.period().name());
            bo.put("limit_usd", UsageRoutes.usd(w.limitMicroUsd()));
            bo.put("spent_usd", UsageRoutes.usd(u.spentMicroUsd()));
            bo.put("reserved_usd", UsageRoutes.usd(u.reservedMicroUsd()));
            bo.put("remaining_usd", UsageRoutes.usd(u.remainingMicroUsd()));
            bo.put("window_start", Instant.ofEpochMilli(w.startMs()).toString());
            bo.put("window_end", Instant.ofEpochMilli(w.endMs()).toString());
            Forecast f = fromHistory ? history.forecast(tenantId, u, now) : Forecast.of(u, now);
            ObjectNode fo = bo.putObject("forecast");
            fo.put("method", f.method().name().toLowerCase(java.util.Locale.ROOT));
            fo.put("history_days", f.historyDays());
            fo.put("burn_usd_per_hour", UsageRoutes.usd(f.burnMicroUsdPerHour()));
            fo.put("projected_usd", UsageRoutes.usd(f.projectedMicroUsd()));
            fo.put("projected_low_usd", UsageRoutes.usd(f.lowMicroUsd()));
            fo.put("projected_high_usd", UsageRoutes.usd(f.highMicroUsd()));
            fo.put("projected_over_limit", f.projectedOver(w.limitMicroUsd()));
            fo.put("runs_out_at", at(f.runsOutAtMs()));
            fo.put("runs_out_earliest_at", at(f.runsOutEarliestMs()));
            fo.put("runs_out_latest_at", at(f.runsOutLatestMs()));
        }
    }

    private static String at(Long ms) {
        return ms == null ? null : Instant.ofEpochMilli(ms).toString();
    }
}
