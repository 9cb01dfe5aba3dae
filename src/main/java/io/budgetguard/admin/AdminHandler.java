package io.budgetguard.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.budgetguard.auth.KeyMaterial;
import io.budgetguard.auth.TenantAuth;
import io.budgetguard.core.Budget;
import io.budgetguard.budget.SpendCounters;
import io.budgetguard.alert.AlertSettings;
import io.budgetguard.alert.AlertStore;
import io.budgetguard.tenant.TenantDirectory;
import io.budgetguard.config.Settings;
import io.budgetguard.http.ApiException;
import io.budgetguard.http.HttpCall;
import io.budgetguard.http.Route;
import io.budgetguard.ledger.Ledger;
import io.budgetguard.tenant.ApiKey;
import io.budgetguard.tenant.Tenant;
import io.budgetguard.tenant.TenantStore;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The admin API (DESIGN §6): tenants, budgets, keys and usage, behind X-Admin-Key compared in constant time. */
public final class AdminHandler {
    private static final int MAX_ADMIN_BODY_BYTES = 64 * 1024;
    /** GET /admin/tenants lists at most 20 pages of 500 tenants. */
    private static final int MAX_LISTED_TENANT_PAGES = 20;

    private final Settings settings;
    private final ObjectMapper json;
    private final Clock clock;
    private final TenantStore tenants;
    private final TenantDirectory directory;
    private final TenantAuth auth;
    private final SpendCounters counters;
    private final AlertStore alerts;
    private final UsageRoutes usage;
    private final AdminKeys adminKeys;
    private final TenantView views;
    private final ScopeRoutes scopes;
    private final KeyControlRoutes keyControls;
    private final OverviewRoutes overview;
    private final ChainRoutes chains;
    private final StripeRoutes stripe;
    private final ReconcileRoutes reconcile;

    public AdminHandler(Settings settings, ObjectMapper json, Clock clock, TenantStore tenants, TenantDirectory directory,
                        TenantAuth auth, SpendCounters counters, Ledger ledger, io.budgetguard.ledger.RefusalLog refusals,
                        AlertStore alerts, AdminKeys adminKeys) {
        this.overview = new OverviewRoutes(json, new UsageQuery(clock), ledger, refusals);
        this.chains = new ChainRoutes(json, ledger.chains(), tenants);
        this.reconcile = new ReconcileRoutes(json, new UsageQuery(clock), settings.reconcile() == null ? null
                : new io.budgetguard.billing.Reconciliation(ledger.database(), settings.reconcile(), alerts, settings.alertWebhookUrl(),
                        settings.alertSmtp() == null ? List.of() : settings.alertSmtp().to(), clock, json));
        this.adminKeys = adminKeys;
        this.alerts = alerts;
        this.settings = settings;
        this.json = json;
        this.clock = clock;
        this.tenants = tenants;
        this.directory = directory;
        this.auth = auth;
        this.counters = counters;
        this.usage = new UsageRoutes(json, new UsageQuery(clock), ledger, tenants::find, chains::exportHeader);
        this.views = new TenantView(json, clock, tenants, counters, alerts, settings.alertWebhookUrl(),
                new io.budgetguard.budget.ForecastHistory(ledger));
        this.scopes = new ScopeRoutes(clock, tenants, directory, counters, routeAdmin(false));
        this.stripe = new StripeRoutes(json, new io.budgetguard.billing.StripeCustomers(ledger.database()), routeAdmin(false), this::existing);
        this.keyControls = new KeyControlRoutes(json, clock, tenants, auth, routeAdmin(true));
    }

    /** What the route classes need of this handler: its bounded body reader and the tenant view as a reply. */
    private ScopeRoutes.Admin routeAdmin(boolean emptyBodyAllowed) {
        return new ScopeRoutes.Admin() {
            @Override
            public JsonNode body(HttpCall call) throws IOException {
                return AdminHandler.this.body(call, emptyBodyAllowed);
            }

            @Override
            public void sendTenant(HttpCall call, String tenantId) throws IOException {
                call.sendJson(json, 200, tenantView(existing(tenantId)));
            }
        };
    }

    public List<Route> routes() {
        return List.of(
                new Route("POST", "/admin/tenant", guarded(this::createTenant)),
                new Route("GET", "/admin/tenant/{id}", guarded(this::getTenant)),
                new Route("POST", "/admin/tenant/{id}/budgets", guarded(this::replaceBudgets)),
                new Route("POST", "/admin/tenant/{id}/limits", guarded(this::replaceLimits)),
                new Route("POST", "/admin/tenant/{id}/apikeys", guarded(this::createKey)),
                new Route("DELETE", "/admin/tenant/{id}/apikeys/{keyId}", guarded(this::revokeKey)),
                new Route("POST", "/admin/tenant/{id}/apikeys/{keyId}/budgets", guarded(scopes::keyBudgets)),
                new Route("POST", "/admin/tenant/{id}/apikeys/{keyId}", guarded(keyControls::setControls)),
                new Route("POST", "/admin/tenant/{id}/apikeys/{keyId}/rotate", guarded(keyControls::rotate)),
                new Route("POST", "/admin/tenant/{id}/model-groups/{name}", guarded(scopes::putModelGroup)),
                new Route("POST", "/admin/tenant/{id}/users/{userId}/budgets", guarded(scopes::userBudgets)),
                new Route("POST", "/admin/tenant/{id}/user-budgets", guarded(scopes::userDefaultBudgets)),
                new Route("DELETE", "/admin/tenant/{id}/model-groups/{name}", guarded(scopes::deleteModelGroup)),
                new Route("GET", "/admin/tenant/{id}/usage", guarded((call, p) -> usage.report(call, existing(p.get("id"))))),
                new Route("GET", "/admin/usage/export", guarded(usage::export)),
                new Route("GET", "/admin/usage", guarded(overview::usage)),
                new Route("GET", "/admin/refusals", guarded(overview::refusals)),
                new Route("GET", "/admin/ledger", guarded(overview::latest)),
                new Route("GET", "/admin/ledger/heads", guarded(chains::heads)),
                new Route("GET", "/admin/reconciliation", guarded(reconcile::report)),
                new Route("GET", "/admin/ledger/verify", guarded(chains::verify)),
                new Route("POST", "/admin/tenant/{id}/alerts", guarded(this::replaceAlerts)),
                new Route("GET", "/admin/tenant/{id}/stripe", guarded(stripe::get)),
                new Route("POST", "/admin/tenant/{id}/stripe", guarded(stripe::replace)),
                new Route("GET", "/admin/tenants", guarded(this::listTenants)));
    }

    private Route.Handler guarded(Route.Handler h) {
        return (call, params) -> {
            String given = call.header("X-Admin-Key");
            boolean byEnvironment = settings.adminEnabled() && KeyMaterial.constantTimeEquals(given, settings.adminApiKey());
            if (!byEnvironment && !adminKeys.matches(given)) {
                if (!settings.adminEnabled() && !adminKeys.any()) throw ApiException.adminDisabled();
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
        AdminInput.onlyFields(in, Set.of("id", "name", "rate_limit_per_min", "budgets", "default_max_output_tokens"));
        JsonNode idNode = in.get("id");
        String id = AdminInput.tenantId(idNode != null && idNode.isTextual() ? idNode.asText() : null, "id");
        String name = AdminInput.optionalName(in, id);
        int rate = AdminInput.rateLimit(in, settings.maxReqsPerMin());
        List<Budget> budgets = in.has("budgets") ? AdminInput.budgets(in.get("budgets")) : settings.defaultBudgets();
        Tenant t = new Tenant(id, name, rate, clock.instant(), budgets, AdminInput.outputCap(in));
        if (!tenants.create(t)) throw ApiException.conflict("Tenant '" + id + "' already exists.");
        directory.forget(id);
        call.identify(id);
        call.sendJson(json, 201, tenantView(t, false));
    }

    private void getTenant(HttpCall call, Map<String, String> params) throws IOException {
        Tenant t = existing(params.get("id"));
        call.sendJson(json, 200, tenantView(t));
    }

    /**
     * {@code {"default_max_output_tokens": n | null, "tokens_per_min": n | null}}: the cap set on requests that set no
     * output limit, and the tenant's tokens per minute; each given field is set (null clears it), the other kept.
     */
    private void replaceLimits(HttpCall call, Map<String, String> params) throws IOException {
        String id = AdminInput.tenantId(params.get("id"), "id");
        JsonNode in = body(call, false);
        AdminInput.onlyFields(in, Set.of("default_max_output_tokens", "tokens_per_min"));
        if (!in.has("default_max_output_tokens") && !in.has("tokens_per_min")) {
            throw ApiException.invalidRequest("Give 'default_max_output_tokens' or 'tokens_per_min' (a whole number, or null to clear it).",
                    "default_max_output_tokens");
        }
        Long tpm = AdminInput.tokensPerMin(in);
        Long cap = AdminInput.outputCap(in);
        if (in.has("tokens_per_min") && !tenants.setTokensPerMin(id, tpm, clock.instant())) throw tenantNotFound(id);
        if (in.has("default_max_output_tokens") && !tenants.setDefaultMaxOutputTokens(id, cap, clock.instant())) throw tenantNotFound(id);
        directory.forget(id);
        call.sendJson(json, 200, tenantView(existing(id)));
    }

    private void replaceBudgets(HttpCall call, Map<String, String> params) throws IOException {
        String id = AdminInput.tenantId(params.get("id"), "id");
        JsonNode in = body(call, false);
        AdminInput.onlyFields(in, Set.of("budgets"));
        List<Budget> budgets = AdminInput.budgets(in.get("budgets"));
        if (!tenants.replaceBudgets(id, budgets, clock.instant())) throw tenantNotFound(id);
        directory.forget(id);
        counters.markActive(id, clock.millis()); // a lower limit may already be crossed: the alert duty looks
        call.sendJson(json, 200, tenantView(existing(id)));
    }

    private void createKey(HttpCall call, Map<String, String> params) throws IOException {
        String id = AdminInput.tenantId(params.get("id"), "id");
        JsonNode in = body(call, true);
        Set<String> fields = new java.util.HashSet<>(KeyControlRoutes.CONTROL_FIELDS);
        fields.add("name");
        AdminInput.onlyFields(in, fields);
        existing(id);
        String key = KeyMaterial.newKey();
        ApiKey record = new ApiKey(KeyMaterial.newKeyId(), id, AdminInput.optionalName(in, "default"),
                KeyMaterial.displayPrefix(key), clock.instant(), null, KeyControlRoutes.controls(in), null);
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
        String keyId = AdminInput.keyId(params.get("keyId"));
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

    /** {"thresholds_pct":[50,80,100],"webhook_url":"https://hooks.slack.com/..."|null,"email_to":["ops@example.com"]|null} */
    private void replaceAlerts(HttpCall call, Map<String, String> params) throws IOException {
        Tenant t = existing(params.get("id"));
        JsonNode in = body(call, false);
        AdminInput.onlyFields(in, Set.of("thresholds_pct", "webhook_url", "email_to"));
        List<Integer> pcts = AdminInput.thresholds(in.get("thresholds_pct"));
        JsonNode url = in.get("webhook_url");
        String webhook = null;
        if (url != null && !url.isNull()) {
            if (!url.isTextual()) throw ApiException.invalidRequest("'webhook_url' must be a string.", "webhook_url");
            try {
                webhook = AlertSettings.validWebhook(url.asText());
            } catch (IllegalArgumentException e) {
                throw ApiException.invalidRequest("'webhook_url' " + e.getMessage() + ".", "webhook_url");
            }
        }
        alerts.replace(t.id(), new AlertSettings(pcts, webhook, AdminInput.emailRecipients(in.get("email_to"))));
        counters.markActive(t.id(), clock.millis());
        call.sendJson(json, 200, tenantView(t));
    }

    /** Every tenant with its windows (paged by id; the dashboard's source). */
    private void listTenants(HttpCall call, Map<String, String> params) throws IOException {
        ObjectNode out = json.createObjectNode();
        ArrayNode list = out.putArray("tenants");
        tenants.forEachId(MAX_LISTED_TENANT_PAGES, id -> tenants.find(id).ifPresent(t -> list.add(tenantView(t))));
        call.sendJson(json, 200, out);
    }

    private Tenant existing(String rawId) {
        String id = AdminInput.tenantId(rawId, "id");
        return tenants.find(id).orElseThrow(() -> tenantNotFound(id));
    }

    private static ApiException tenantNotFound(String id) {
        return ApiException.notFound("No tenant '" + id + "'.");
    }

    private ObjectNode tenantView(Tenant t) {
        return views.of(t, true);
    }

    private ObjectNode tenantView(Tenant t, boolean withSpend) {
        return views.of(t, withSpend);
    }
}
