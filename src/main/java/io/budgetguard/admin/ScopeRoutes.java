package io.budgetguard.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.budgetguard.budget.SpendCounters;
import io.budgetguard.core.Budget;
import io.budgetguard.http.ApiException;
import io.budgetguard.http.HttpCall;
import io.budgetguard.http.Identifier;
import io.budgetguard.tenant.ApiKey;
import io.budgetguard.tenant.TenantDirectory;
import io.budgetguard.tenant.TenantStore;
import java.io.IOException;
import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Budgets below the tenant's: {@code POST /admin/tenant/{id}/apikeys/{keyId}/budgets} (a key's own, within its
 * tenant's) and {@code POST|DELETE /admin/tenant/{id}/model-groups/{name}} (models that share one budget). Each
 * change reaches every gateway within the tenant cache's lifetime (at most 1 s).
 */
final class ScopeRoutes {
    static final int MAX_GROUP_MODELS = 100;
    static final int MAX_GROUPS = 100;
    private static final Pattern GROUP_NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,63}");

    /** What the routes need of the admin handler. */
    interface Admin {
        JsonNode body(HttpCall call) throws IOException;

        /** Answers with the tenant's view (404 when it does not exist). */
        void sendTenant(HttpCall call, String tenantId) throws IOException;
    }

    private final Clock clock;
    private final TenantStore tenants;
    private final TenantDirectory directory;
    private final SpendCounters counters;
    private final Admin admin;

    ScopeRoutes(Clock clock, TenantStore tenants, TenantDirectory directory, SpendCounters counters, Admin admin) {
        this.clock = clock;
        this.tenants = tenants;
        this.directory = directory;
        this.counters = counters;
        this.admin = admin;
    }

    /** {@code {"budgets": [...]}}: replaces the key's own budgets ([] removes them). */
    void keyBudgets(HttpCall call, Map<String, String> params) throws IOException {
        String id = AdminInput.tenantId(params.get("id"), "id");
        String keyId = AdminInput.keyId(params.get("keyId"));
        JsonNode in = admin.body(call);
        AdminInput.onlyFields(in, Set.of("budgets"));
        List<Budget> budgets = AdminInput.budgets(in.get("budgets"));
        boolean owned = tenants.keysOf(id).stream().map(ApiKey::id).anyMatch(keyId::equals);
        if (!owned) throw ApiException.notFound("No API key '" + keyId + "' for tenant '" + id + "'.");
        if (!tenants.scopes().replaceKeyBudgets(id, keyId, budgets, clock.instant())) throw tenantNotFound(id);
        changed(id);
        admin.sendTenant(call, id);
    }

    /** {@code {"budgets": [...]}}: replaces one end user's own budgets (they replace the per-user defaults for it). */
    void userBudgets(HttpCall call, Map<String, String> params) throws IOException {
        String id = AdminInput.tenantId(params.get("id"), "id");
        String user = Identifier.require(params.get("userId"), "userId", 256);
        if (user.equals("*")) throw ApiException.invalidRequest("'*' is not a user id; set defaults at /user-budgets.", "userId");
        replaceUserBudgets(call, id, user);
    }

    /** {@code {"budgets": [...]}}: the budgets every end user without budgets of its own gets. */
    void userDefaultBudgets(HttpCall call, Map<String, String> params) throws IOException {
        replaceUserBudgets(call, AdminInput.tenantId(params.get("id"), "id"), null);
    }

    private void replaceUserBudgets(HttpCall call, String id, String user) throws IOException {
        JsonNode in = admin.body(call);
        AdminInput.onlyFields(in, Set.of("budgets"));
        List<Budget> budgets = AdminInput.budgets(in.get("budgets"));
        if (!tenants.scopes().replaceUserBudgets(id, user, budgets, clock.instant())) throw tenantNotFound(id);
        changed(id);
        admin.sendTenant(call, id);
    }

    /** {@code {"models": ["gpt-4o", ...], "budgets": [...]}}: creates or replaces the group. */
    void putModelGroup(HttpCall call, Map<String, String> params) throws IOException {
        String id = AdminInput.tenantId(params.get("id"), "id");
        String name = groupName(params.get("name"));
        JsonNode in = admin.body(call);
        AdminInput.onlyFields(in, Set.of("models", "budgets"));
        Set<String> models = models(in.get("models"));
        List<Budget> budgets = AdminInput.budgets(in.get("budgets"));
        var tenant = directory.get(id);
        if (tenant.isPresent() && tenant.get().modelGroups().size() >= MAX_GROUPS
                && tenant.get().modelGroups().stream().noneMatch(g -> g.name().equals(name))) {
            throw ApiException.invalidRequest("A tenant has at most " + MAX_GROUPS + " model groups.", "name");
        }
        if (!tenants.scopes().putModelGroup(id, name, models, budgets, clock.instant())) throw tenantNotFound(id);
        changed(id);
        admin.sendTenant(call, id);
    }

    void deleteModelGroup(HttpCall call, Map<String, String> params) throws IOException {
        String id = AdminInput.tenantId(params.get("id"), "id");
        String name = groupName(params.get("name"));
        if (!tenants.scopes().deleteModelGroup(id, name, clock.instant())) throw tenantNotFound(id);
        changed(id);
        admin.sendTenant(call, id);
    }

    private void changed(String tenantId) {
        directory.forget(tenantId);
        counters.markActive(tenantId, clock.millis());
    }

    private static String groupName(String name) {
        if (name == null || !GROUP_NAME.matcher(name).matches()) {
            throw ApiException.invalidRequest("Model group names match ^[a-z0-9][a-z0-9_.-]{0,63}$.", "name");
        }
        return name;
    }

    private static Set<String> models(JsonNode n) {
        if (n == null || !n.isArray() || n.isEmpty() || n.size() > MAX_GROUP_MODELS) {
            throw ApiException.invalidRequest("'models' must be a list of 1 to " + MAX_GROUP_MODELS + " model names.", "models");
        }
        Set<String> out = new LinkedHashSet<>();
        for (JsonNode m : n) {
            if (!m.isTextual()) throw ApiException.invalidRequest("'models' must hold strings.", "models");
            out.add(Identifier.require(m.asText(), "models", 256));
        }
        return out;
    }

    private static ApiException tenantNotFound(String id) {
        return ApiException.notFound("No tenant '" + id + "'.");
    }
}
