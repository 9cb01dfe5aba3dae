package io.budgetguard.billing;

import java.net.URI;

/**
 * Stripe showback (STRIPE_*): the secret key, the meter's event name and payload keys, where Stripe is (its API by
 * default; stripe-mock in tests), and the bounds of one reporting pass. The key is never printed.
 */
public record StripeSettings(String apiKey, URI apiBase, String eventName, String customerPayloadKey, String valuePayloadKey,
                             int batchRows, long timeoutMs, long maxBackoffMs) {
    public static final URI DEFAULT_API_BASE = URI.create("https://api.stripe.com");
    public static final String DEFAULT_EVENT_NAME = "budgetguard_spend";
    public static final int DEFAULT_BATCH_ROWS = 100;
    public static final long DEFAULT_TIMEOUT_MS = 10_000;
    public static final long DEFAULT_MAX_BACKOFF_MS = 300_000;

    @Override
    public String toString() {
        return "StripeSettings[apiBase=" + apiBase + ", apiKey=set, eventName=" + eventName + ", batchRows=" + batchRows
                + ", timeoutMs=" + timeoutMs + "]";
    }
}
