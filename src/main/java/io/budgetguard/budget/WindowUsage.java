package io.budgetguard.budget;

/** A window's state right now: settled spend and outstanding reservations, in micro-USD. */
public record WindowUsage(WindowRef window, long spentMicroUsd, long reservedMicroUsd) {
    public long remainingMicroUsd() {
        return Math.max(0, window.limitMicroUsd() - spentMicroUsd - reservedMicroUsd);
    }
}
