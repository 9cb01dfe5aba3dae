package io.budgetguard.proxy;

import io.budgetguard.core.UsageEvent;
import io.budgetguard.http.ApiException;

/**
 * What happened upstream: how it ended, its status (null if never reached), its usage (null if unknown),
 * whether OpenAI may bill it, and the error to answer when no response was relayed.
 */
record Outcome(UsageEvent.Status status, Integer upstreamStatus, Usage usage, boolean maybeBilled,
                       ApiException error) {
    /** This outcome without the usage (a model billed per image: a usage block, if any, is not its bill). */
    Outcome withoutUsage() {
        return new Outcome(status, upstreamStatus, null, maybeBilled, error);
    }

    /** Something was thrown between admission and settlement: billed at the estimate if anything was sent. */
    static Outcome unexpected(UpstreamAttempt attempt) {
        return new Outcome(UsageEvent.Status.UPSTREAM_ERROR, null, null, attempt.written(), null);
    }
}
