package io.budgetguard.architecture.cyclefixture.b;

/** The other half of the deliberate package cycle. */
public final class Right {
    public io.budgetguard.architecture.cyclefixture.a.Left left() {
        return null;
    }
}
