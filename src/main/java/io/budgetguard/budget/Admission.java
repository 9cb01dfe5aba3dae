package io.budgetguard.budget;

import io.budgetguard.core.Reservation;
import io.budgetguard.core.WindowRef;

/** The answer of one atomic admission step. */
public sealed interface Admission {
    /** Admitted: the estimate is reserved in every window. */
    record Admitted(Reservation reservation, RateState rate) implements Admission {}

    /** Over the per-minute request limit (the tenant's, or the key's own); nothing was reserved or counted. */
    record RateLimited(RateState rate, long retryAfterMs, boolean keyLevel) implements Admission {
        public RateLimited(RateState rate, long retryAfterMs) {
            this(rate, retryAfterMs, false);
        }
    }

    /** The estimate does not fit this window; nothing was reserved or counted. */
    record OverBudget(WindowRef window, long spentMicroUsd, long reservedMicroUsd, RateState rate) implements Admission {
        public long remainingMicroUsd() {
            return window.limitMicroUsd() - spentMicroUsd - reservedMicroUsd; // negative after an overrun: told honestly
        }
    }
}
