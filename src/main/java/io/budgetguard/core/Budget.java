package io.budgetguard.core;

/** A tenant's limit for one period, in micro-USD. */
public record Budget(BudgetPeriod period, long limitMicroUsd) {
    public Budget {
        if (limitMicroUsd < 0 || limitMicroUsd > Money.MAX_MICRO_USD) {
            throw new IllegalStateException("budget limit out of range: " + limitMicroUsd);
        }
    }
}
