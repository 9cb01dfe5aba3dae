package io.budgetguard.billing;

import java.net.URI;

/**
 * Reconciliation with the providers' cost reports (RECONCILE_*): each source optional (its admin key unset = not
 * read), the ledger provider it is compared with, the project or workspace that is the gateway's (null = all), the
 * gap that raises an alert, and the bounds of a check. Keys are never printed.
 */
public record ReconcileSettings(Source openai, Source anthropic, long thresholdMicroUsd, int thresholdPct, int days,
                                long periodMs, long timeoutMs, int maxPages) {
    /** One provider's cost report: where it is, its admin key, the ledger provider and the gateway's project. */
    public record Source(URI baseUrl, String adminKey, String provider, String project) {
        @Override
        public String toString() {
            return "Source[" + baseUrl + ", adminKey=set, provider=" + provider + ", project=" + project + "]";
        }
    }

    public static final long DEFAULT_THRESHOLD_MICRO_USD = 1_000_000;
    public static final int DEFAULT_THRESHOLD_PCT = 5;
    public static final int DEFAULT_DAYS = 7;
    public static final long DEFAULT_PERIOD_MS = 3_600_000;
    public static final long DEFAULT_TIMEOUT_MS = 30_000;
    public static final int DEFAULT_MAX_PAGES = 100;
}
