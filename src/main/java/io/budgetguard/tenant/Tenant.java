package io.budgetguard.tenant;

import io.budgetguard.core.Budget;
import java.time.Instant;
import java.util.List;

/**
 * A customer of the gateway: its per-minute rate limit, budget windows and default output cap (null = the global
 * default, else the model's own cap), which the gateway sets on requests that set no output limit of their own.
 */
public record Tenant(String id, String name, int rateLimitPerMin, Instant createdAt, List<Budget> budgets,
                     Long defaultMaxOutputTokens) {
    public Tenant {
        budgets = List.copyOf(budgets);
        if (defaultMaxOutputTokens != null && defaultMaxOutputTokens <= 0) {
            throw new IllegalStateException("a default output cap is positive: " + defaultMaxOutputTokens);
        }
    }

    /** A tenant without a default output cap of its own. */
    public Tenant(String id, String name, int rateLimitPerMin, Instant createdAt, List<Budget> budgets) {
        this(id, name, rateLimitPerMin, createdAt, budgets, null);
    }
}
