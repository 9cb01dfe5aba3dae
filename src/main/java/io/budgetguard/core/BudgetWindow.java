package io.budgetguard.core;

import java.time.Instant;

/** One concrete window of a budget period: spend counts when a request starts in [start, end). */
public record BudgetWindow(BudgetPeriod period, Instant start, Instant end) {
    public BudgetWindow {
        if (!start.isBefore(end)) throw new IllegalStateException("window start must precede its end");
    }
}
