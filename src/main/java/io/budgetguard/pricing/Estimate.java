package io.budgetguard.pricing;

/** The worst case of a request before it is sent: prompt tokens counted, output at its cap, and their cost. */
public record Estimate(long promptTokens, long maxOutputTokens, long costMicroUsd) {
    public static final Estimate FREE = new Estimate(0, 0, 0);

    public Estimate {
        if (promptTokens < 0 || maxOutputTokens < 0 || costMicroUsd < 0) throw new IllegalStateException("negative estimate");
    }
}
