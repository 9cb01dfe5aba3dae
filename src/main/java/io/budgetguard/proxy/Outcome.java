package io.budgetguard.proxy;

import io.budgetguard.core.UsageEvent;
import io.budgetguard.http.ApiException;

/**
 * What happened upstream: how it ended, its status (null if never reached), its usage (null if unknown),
 * whether OpenAI may bill it, the error to answer when no response was relayed, and the seconds of audio a
 * transcription reports (-1: none), and the answer's body where it was kept (the object a call created), else null.
 */
record Outcome(UsageEvent.Status status, Integer upstreamStatus, Usage usage, boolean maybeBilled,
                       ApiException error, long audioSeconds, byte[] body) {
    Outcome(UsageEvent.Status status, Integer upstreamStatus, Usage usage, boolean maybeBilled, ApiException error) {
        this(status, upstreamStatus, usage, maybeBilled, error, -1, null);
    }

    /** This outcome without the usage (a model billed per image: a usage block, if any, is not its bill). */
    Outcome withoutUsage() {
        return new Outcome(status, upstreamStatus, null, maybeBilled, error, audioSeconds, body);
    }

    /** Something was thrown between admission and settlement: billed at the estimate if anything was sent. */
    static Outcome unexpected(UpstreamAttempt attempt) {
        return new Outcome(UsageEvent.Status.UPSTREAM_ERROR, null, null, attempt.written(), null);
    }
}
