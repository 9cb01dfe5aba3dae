package io.budgetguard.core;

import java.time.Instant;

/** One row of the usage ledger: a request that passed admission, what it used and what it cost. */
public record UsageEvent(
        String requestId,
        String tenantId,
        String apiKeyId,
        String endpoint,
        /** The upstream the request went to, as the providers file names it ("openai" without one). */
        String provider,
        String model,
        Status status,
        long promptTokens,
        long cachedTokens,
        /** Prompt tokens written to the provider's cache (Anthropic bills them at their own rate); part of the prompt. */
        long cacheWriteTokens,
        long completionTokens,
        long estimatedCostMicroUsd,
        long costMicroUsd,
        Integer upstreamStatus,
        Instant startedAt,
        Instant finishedAt,
        /** The application's end user (the request's user field or X-BudgetGuard-User), or null. */
        String endUser,
        /** Chargeback tags, canonical: {@code key=value} pairs sorted by key, comma-separated; "" when none. */
        String tags) {

    public enum Status {
        OK("ok"), UPSTREAM_ERROR("upstream_error"), CLIENT_ABORT("client_abort"), EXPIRED("expired");

        private final String sql;

        Status(String sql) {
            this.sql = sql;
        }

        public String sql() {
            return sql;
        }

        /** The status a ledger row stores as {@code sql}; an IllegalArgumentException for any other text. */
        public static Status fromSql(String sql) {
            for (Status s : values()) if (s.sql.equals(sql)) return s;
            throw new IllegalArgumentException("unknown status " + sql);
        }
    }

    public UsageEvent {
        if (promptTokens < 0 || cachedTokens < 0 || cacheWriteTokens < 0 || completionTokens < 0) throw new IllegalStateException("negative tokens");
        if (provider == null || provider.isEmpty()) throw new IllegalStateException("a usage event names its provider");
        if (costMicroUsd < 0 || estimatedCostMicroUsd < 0) throw new IllegalStateException("negative cost");
        if (finishedAt.isBefore(startedAt)) throw new IllegalStateException("finished before started");
        if (tags == null) tags = "";
    }

    /** A usage event without an end user or tags. */
    public UsageEvent(String requestId, String tenantId, String apiKeyId, String endpoint, String provider, String model,
                      Status status, long promptTokens, long cachedTokens, long cacheWriteTokens, long completionTokens,
                      long estimatedCostMicroUsd, long costMicroUsd, Integer upstreamStatus, Instant startedAt, Instant finishedAt) {
        this(requestId, tenantId, apiKeyId, endpoint, provider, model, status, promptTokens, cachedTokens, cacheWriteTokens,
                completionTokens, estimatedCostMicroUsd, costMicroUsd, upstreamStatus, startedAt, finishedAt, null, "");
    }

    public long latencyMs() {
        return finishedAt.toEpochMilli() - startedAt.toEpochMilli();
    }
}
