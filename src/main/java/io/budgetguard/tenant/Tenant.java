package io.budgetguard.tenant;

import io.budgetguard.core.Budget;
import io.budgetguard.core.WindowRef;
import io.budgetguard.core.WindowScope;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A customer of the gateway: its per-minute rate limit, budget windows and default output cap (null = the global
 * default, else the model's own cap), which the gateway sets on requests that set no output limit of their own.
 * Budgets may also be set on one of its API keys (within the tenant's), on its end users (defaults for every user,
 * overrides per user id) and on a model group (a named set of models sharing one budget); a request is admitted only when every window that applies to it has room.
 */
public record Tenant(String id, String name, int rateLimitPerMin, Instant createdAt, List<Budget> budgets,
                     Long defaultMaxOutputTokens, Map<String, List<Budget>> keyBudgets, List<ModelGroup> modelGroups,
                     Map<String, List<Budget>> userBudgets, List<Budget> userDefaultBudgets, Long tokensPerMin) {
    /** Models that share one budget, by name or as dated snapshots of a listed name. */
    public record ModelGroup(String name, Set<String> models, List<Budget> budgets) {
        public ModelGroup {
            models = Set.copyOf(models);
            budgets = List.copyOf(budgets);
        }

        public WindowScope scope() {
            return WindowScope.modelGroup(name, models);
        }
    }

    public Tenant {
        budgets = List.copyOf(budgets);
        keyBudgets = Map.copyOf(keyBudgets);
        modelGroups = List.copyOf(modelGroups);
        userBudgets = Map.copyOf(userBudgets);
        userDefaultBudgets = List.copyOf(userDefaultBudgets);
        if (tokensPerMin != null && tokensPerMin <= 0) throw new IllegalStateException("a token limit is positive");
        if (defaultMaxOutputTokens != null && defaultMaxOutputTokens <= 0) {
            throw new IllegalStateException("a default output cap is positive: " + defaultMaxOutputTokens);
        }
    }

    /** A tenant with budgets of its own only. */
    public Tenant(String id, String name, int rateLimitPerMin, Instant createdAt, List<Budget> budgets,
                  Long defaultMaxOutputTokens) {
        this(id, name, rateLimitPerMin, createdAt, budgets, defaultMaxOutputTokens, Map.of(), List.of(), Map.of(), List.of(), null);
    }

    /** A tenant without a default output cap of its own. */
    public Tenant(String id, String name, int rateLimitPerMin, Instant createdAt, List<Budget> budgets) {
        this(id, name, rateLimitPerMin, createdAt, budgets, null);
    }

    /**
     * Every window a request of this key, model and end user counts in, now: the tenant's, its key's, its end user's
     * (the user's own budgets, else the tenant's per-user defaults), and those of each model group the model is in.
     */
    public List<WindowRef> windowsFor(String apiKeyId, String model, String endUser, long nowMs) {
        List<WindowRef> out = new ArrayList<>(WindowRef.all(budgets, nowMs));
        List<Budget> own = apiKeyId == null ? null : keyBudgets.get(apiKeyId);
        if (own != null) {
            WindowScope scope = WindowScope.key(apiKeyId);
            for (Budget b : own) out.add(WindowRef.of(b, nowMs, scope));
        }
        if (endUser != null) {
            List<Budget> user = userBudgets.getOrDefault(endUser, userDefaultBudgets);
            WindowScope scope = WindowScope.user(endUser);
            for (Budget b : user) out.add(WindowRef.of(b, nowMs, scope));
        }
        for (ModelGroup g : modelGroups) {
            WindowScope scope = g.scope();
            if (!scope.matches(apiKeyId, model, endUser)) continue;
            for (Budget b : g.budgets()) out.add(WindowRef.of(b, nowMs, scope));
        }
        return out;
    }
}
