package io.budgetguard.architecture.cyclefixture.a;

/** Half of a deliberate package cycle: the dependency rules must reject it. */
public final class Left {
    public io.budgetguard.architecture.cyclefixture.b.Right right() {
        return null;
    }
}
