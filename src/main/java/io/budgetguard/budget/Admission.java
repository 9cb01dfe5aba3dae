package io.budgetguard.budget;

import io.budgetguard.core.Reservation;
import io.budgetguard.core.WindowRef;

/** The answer of one atomic admission step. */
public sealed interface Admission {
    /** Admitted: the estimate is reserved in every window. */
    record Admitted(Reservation reservation, RateState rate, RateState tokens) implements Admission {
        public Admitted(Reservation reservation, RateState rate) {
            this(reservation, rate, null);
        }
    }

    /**
     * Over a per-minute limit: of requests or (when {@code tokens}) of tokens, the tenant's or the key's own; nothing
     * was reserved or counted. {@code rate} is the state of the limit that refused.
     */
    record RateLimited(RateState rate, long retryAfterMs, boolean keyLevel, boolean tokens) implements Admission {
        public RateLimited(RateState rate, long retryAfterMs, boolean keyLevel) {
            this(rate, retryAfterMs, keyLevel, false);
        }

        public RateLimited(RateState rate, long retryAfterMs) {
            this(rate, retryAfterMs, false, false);
        }
    }

    /** The estimate does not fit this window; nothing was reserved or counted. */
    record OverBudget(WindowRef window, long spentMicroUsd, long reservedMicroUsd, RateState rate) implements Admission {
        public long remainingMicroUsd() {
            return window.limitMicroUsd() - spentMicroUsd - reservedMicroUsd; // negative after an overrun: told honestly
        }
    }
}
