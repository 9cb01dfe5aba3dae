package io.budgetguard.proxy;

import io.budgetguard.budget.Admission;
import io.budgetguard.core.Money;
import io.budgetguard.core.WindowRef;
import io.budgetguard.http.ApiException;
import io.budgetguard.pricing.Estimate;
import io.budgetguard.tenant.Tenant;
import java.time.Instant;
import java.util.Map;

/** The 402 and 429 answers: messages a person understands, headers an SDK acts on. */
final class Refusals {
    private Refusals() {}

    static ApiException rateLimited(Tenant tenant, String keyId, Admission.RateLimited r) {
        long retryS = Math.max(1, (r.retryAfterMs() + 999) / 1000);
        String who = r.keyLevel() ? "API key " + keyId + " of tenant '" + tenant.id() + "'" : "tenant '" + tenant.id() + "'";
        if (r.tokens()) {
            return new ApiException(429, "tokens", "rate_limit_exceeded", "Rate limit reached for " + who + ": " + r.rate().limit()
                    + " tokens per minute (this request counts its prompt plus its output limit). Retry after " + retryS
                    + " s, or lower max_tokens.", null,
                    Map.of("Retry-After", Long.toString(retryS), "retry-after-ms", Long.toString(Math.max(1, r.retryAfterMs()))));
        }
        return new ApiException(429, "requests", "rate_limit_exceeded",
                "Rate limit reached for " + who + ": " + r.rate().limit()
                        + " requests per minute. Retry after " + retryS + " s.",
                null, Map.of("Retry-After", Long.toString(retryS), "retry-after-ms", Long.toString(Math.max(1, r.retryAfterMs()))));
    }

    static ApiException overBudget(Admission.OverBudget o, Estimate estimate) {
        WindowRef w = o.window();
        String level = w.scope().describe();
        String window = w.rolling()
                ? level + " " + w.period().name() + " budget (a sliding window over the last " + span(w) + ")"
                : level + " " + w.period().name() + " budget (" + Instant.ofEpochMilli(w.startMs()) + " to "
                        + Instant.ofEpochMilli(w.endMs()) + ")";
        return new ApiException(402, "insufficient_quota", "budget_exceeded",
                window + " has a limit of " + usd(w.limitMicroUsd()) + " and " + usd(o.remainingMicroUsd())
                        + " remaining; this request could cost up to " + usd(estimate.costMicroUsd())
                        + " (" + estimate.promptTokens() + " prompt tokens plus up to " + estimate.maxOutputTokens()
                        + " output tokens). Lower max_tokens, or ask an admin to raise the budget.",
                null, Map.of());
    }

    private static String span(WindowRef w) {
        long h = w.period().rollingSpan().toHours();
        return h % 24 == 0 ? (h / 24) + " days" : h + " hours";
    }

    private static String usd(long microUsd) {
        return "$" + Money.display(microUsd);
    }
}
