package io.budgetguard.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.budgetguard.auth.KeyMaterial;
import io.budgetguard.auth.TenantAuth;
import io.budgetguard.budget.Budget;
import io.budgetguard.budget.SpendCounters;
import io.budgetguard.budget.WindowRef;
import io.budgetguard.budget.WindowUsage;
import io.budgetguard.store.TenantDirectory;
import io.budgetguard.budget.Money;
import io.budgetguard.config.Settings;
import io.budgetguard.http.ApiException;
import io.budgetguard.http.HttpCall;
import io.budgetguard.http.Route;
import io.budgetguard.ledger.Ledger;
import io.budgetguard.ledger.UsageReport;
import io.budgetguard.store.ApiKey;
import io.budgetguard.store.Tenant;
import io.budgetguard.store.TenantStore;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The admin API (DESIGN §6): tenants, budgets, keys and usage, behind X-Admin-Key compared in constant time. */
public final class AdminHandler {
    private static final int MAX_ADMIN_BODY_BYTES = 64 * 1024;

    private final Settings settings;
    private final ObjectMapper json;
    private final Clock clock;
    private final TenantStore tenants;
    private final TenantDirectory directory;
    private final TenantAuth auth;
    private final SpendCounters counters;
    private final Ledger ledger;
    private final UsageQuery usageQuery;

    public AdminHandler(Settings settings, ObjectMapper json, Clock clock, TenantStore tenants, TenantDirectory directory,
                        TenantAuth auth, SpendCounters counters, Ledger ledger) {
        this.settings = settings;
        this.json = json;
        this.clock = clock;
        this.tenants = tenants;
        this.directory = directory;
        this.auth = auth;
        this.counters = counters;
        this.ledger = ledger;
        this.usageQuery = new UsageQuery(clock);
    }

    public List<Route> routes() {
        return List.of(
                new Route("POST", "/admin/tenant", guarded(this::createTenant)),
                new Route("GET", "/admin/tenant/{id}", guarded(this::getTenant)),
                new Route("POST", "/admin/tenant/{id}/budgets", guarded(this::replaceBudgets)),
                new Route("POST", "/admin/tenant/{id}/apikeys", guarded(this::createKey)),
                new Route("DELETE", "/admin/tenant/{id}/apikeys/{keyId}", guarded(this::revokeKey)),
                new Route("GET", "/admin/tenant/{id}/usage", guarded(this::usage)));
    }

    private Route.Handler guarded(Route.Handler h) {
        return (call, params) -> {
            if (!settings.adminEnabled()) throw ApiException.adminDisabled();
            if (!KeyMaterial.constantTimeEquals(call.header("X-Admin-Key"), settings.adminApiKey())) {
                throw ApiException.invalidApiKey("Invalid or missing X-Admin-Key.");
            }
            h.handle(call, params);
        };
    }

    private JsonNode body(HttpCall call, boolean emptyAllowed) throws IOException {
        byte[] bytes = call.readBody(MAX_ADMIN_BODY_BYTES);
        if (bytes.length > 0 && !call.hasJsonBody()) throw ApiException.invalidRequest("Content-Type must be application/json.");
        return AdminInput.object(json, bytes, emptyAllowed);
    }

    private void createTenant(HttpCall call, Map<String, String> params) throws IOException {
        JsonNode in = body(call, false);
        AdminInput.onlyFields(in, Set.of("id", "name", "rate_limit_per_min", "budgets"));
        JsonNode idNode = in.get("id");
        String id = AdminInput.tenantId(idNode != null && idNode.isTextual() ? idNode.asText() : null, "id");
        String name = AdminInput.optionalName(in, id);
        int rate = AdminInput.rateLimit(in, settings.maxReqsPerMin());
        List<Budget> budgets = in.has("budgets") ? AdminInput.budgets(in.get("budgets")) : settings.defaultBudgets();
        Tenant t = new Tenant(id, name, rate, clock.instant(), budgets);
        if (!tenants.create(t)) throw ApiException.conflict("Tenant '" + id + "' already exists.");
        directory.forget(id);
        call.identify(id);
        call.sendJson(json, 201, tenantView(t));
    }

    private void getTenant(HttpCall call, Map<String, String> params) throws IOException {
        Tenant t = existing(params.get("id"));
        call.sendJson(json, 200, tenantView(t));
    }

    private void replaceBudgets(HttpCall call, Map<String, String> params) throws IOException {
        String id = AdminInput.tenantId(params.get("id"), "id");
        JsonNode in = body(call, false);
        AdminInput.onlyFields(in, Set.of("budgets"));
        List<Budget> budgets = AdminInput.budgets(in.get("budgets"));
        if (!tenants.replaceBudgets(id, budgets, clock.instant())) throw tenantNotFound(id);
        directory.forget(id);
        call.sendJson(json, 200, tenantView(existing(id)));
    }

    private void createKey(HttpCall call, Map<String, String> params) throws IOException {
        String id = AdminInput.tenantId(params.get("id"), "id");
        JsonNode in = body(call, true);
        AdminInput.onlyFields(in, Set.of("name"));
        existing(id);
        String key = KeyMaterial.newKey();
        ApiKey record = new ApiKey(KeyMaterial.newKeyId(), id, AdminInput.optionalName(in, "default"),
                KeyMaterial.displayPrefix(key), clock.instant(), null);
        tenants.insertKey(record, KeyMaterial.hash(key));
        ObjectNode out = json.createObjectNode();
        out.put("id", record.id());
        out.put("key", key);
        out.put("prefix", record.prefix());
        out.put("name", record.name());
        out.put("tenant_id", id);
        out.put("created_at", record.createdAt().toString());
        call.sendJson(json, 201, out);
    }

    private void revokeKey(HttpCall call, Map<String, String> params) throws IOException {
        String id = AdminInput.tenantId(params.get("id"), "id");
        String keyId = params.get("keyId");
        Instant now = clock.instant();
        switch (tenants.revokeKey(id, keyId, now)) {
            case NOT_FOUND -> throw ApiException.notFound("No API key '" + keyId + "' for tenant '" + id + "'.");
            case REVOKED, ALREADY_REVOKED -> auth.forgetKey(keyId);
        }
        ObjectNode out = json.createObjectNode();
        out.put("id", keyId);
        out.put("tenant_id", id);
        out.put("revoked", true);
        call.sendJson(json, 200, out);
    }

    private void usage(HttpCall call, Map<String, String> params) throws IOException {
        Tenant t = existing(params.get("id"));
        UsageQuery.Range range = usageQuery.parse(call.uri().getRawQuery());
        UsageReport report = ledger.report(t.id(), range.from(), range.to(), range.groupBy());
        ObjectNode out = json.createObjectNode();
        out.put("tenant", t.id());
        out.put("from", report.from().toString());
        out.put("to", report.to().toString());
        out.put("group_by", report.groupBy());
        ArrayNode rows = out.putArray("rows");
        for (UsageReport.Row r : report.rows()) rows.add(row(r, true));
        out.set("total", row(report.total(), false));
        call.sendJson(json, 200, out);
    }

    private ObjectNode row(UsageReport.Row r, boolean withKey) {
        ObjectNode o = json.createObjectNode();
        if (withKey) o.put("key", r.key());
        o.put("requests", r.requests());
        o.put("prompt_tokens", r.promptTokens());
        o.put("completion_tokens", r.completionTokens());
        o.put("cost_usd", usd(r.costMicroUsd()));
        return o;
    }

    /** USD for people: 12.5, not 12.500000 (exact: at most six decimals). */
    private static java.math.BigDecimal usd(long microUsd) {
        return Money.usd(microUsd).stripTrailingZeros();
    }

    private Tenant existing(String rawId) {
        String id = AdminInput.tenantId(rawId, "id");
        return tenants.find(id).orElseThrow(() -> tenantNotFound(id));
    }

    private static ApiException tenantNotFound(String id) {
        return ApiException.notFound("No tenant '" + id + "'.");
    }

    /** The tenant with each budget's current window: limit, spent, reserved, remaining and bounds. */
    private ObjectNode tenantView(Tenant t) {
        long now = clock.millis();
        List<WindowRef> refs = new java.util.ArrayList<>();
        for (Budget b : t.budgets()) refs.add(WindowRef.of(b, now));
        List<WindowUsage> usage = counters.usage(t.id(), refs, now);
        ObjectNode o = json.createObjectNode();
        o.put("id", t.id());
        o.put("name", t.name());
        o.put("rate_limit_per_min", t.rateLimitPerMin());
        o.put("created_at", t.createdAt().toString());
        ArrayNode budgets = o.putArray("budgets");
        for (WindowUsage u : usage) {
            WindowRef w = u.window();
            ObjectNode bo = budgets.addObject();
            bo.put("period", w.period().name());
            bo.put("limit_usd", usd(w.limitMicroUsd()));
            bo.put("spent_usd", usd(u.spentMicroUsd()));
            bo.put("reserved_usd", usd(u.reservedMicroUsd()));
            bo.put("remaining_usd", usd(u.remainingMicroUsd()));
            bo.put("window_start", Instant.ofEpochMilli(w.startMs()).toString());
            bo.put("window_end", Instant.ofEpochMilli(w.endMs()).toString());
        }
        ArrayNode keys = o.putArray("api_keys");
        for (ApiKey k : tenants.keysOf(t.id())) {
            ObjectNode ko = keys.addObject();
            ko.put("id", k.id());
            ko.put("name", k.name());
            ko.put("prefix", k.prefix());
            ko.put("created_at", k.createdAt().toString());
            ko.put("revoked_at", k.revokedAt() == null ? null : k.revokedAt().toString());
        }
        return o;
    }
}
