package io.budgetguard.policy;

import java.util.List;

/** What the policy said: allow, or deny with reasons a person can read. */
public record PolicyDecision(boolean allow, List<String> reasons) {
    public static final PolicyDecision ALLOW = new PolicyDecision(true, List.of());
    /** The reason every evaluation failure carries: the gateway fails closed. */
    public static final String POLICY_ERROR = "policy_error";

    public PolicyDecision {
        reasons = List.copyOf(reasons);
    }

    /** An evaluation that failed (no instance free, a broken instance): never remembered. */
    boolean failed() {
        return !allow && reasons.size() == 1 && reasons.getFirst().startsWith(POLICY_ERROR + ": ");
    }

    static PolicyDecision error(String detail) {
        return new PolicyDecision(false, List.of(POLICY_ERROR + ": " + detail));
    }
}
