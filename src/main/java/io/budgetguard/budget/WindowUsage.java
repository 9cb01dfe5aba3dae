package io.budgetguard.budget;

import io.budgetguard.core.WindowRef;

/** A window's state right now: settled spend and outstanding reservations, in micro-USD. */
public record WindowUsage(WindowRef window, long spentMicroUsd, long reservedMicroUsd) {
    public long remainingMicroUsd() {
        return window.limitMicroUsd() - spentMicroUsd - reservedMicroUsd; // negative after an overrun: told honestly
    }
}
