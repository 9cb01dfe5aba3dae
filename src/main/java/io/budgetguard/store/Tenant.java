package io.budgetguard.store;

import io.budgetguard.budget.Budget;
import java.time.Instant;
import java.util.List;

/** A customer of the gateway: its per-minute rate limit and budget windows. */
public record Tenant(String id, String name, int rateLimitPerMin, Instant createdAt, List<Budget> budgets) {
    public Tenant {
        budgets = List.copyOf(budgets);
    }
}
