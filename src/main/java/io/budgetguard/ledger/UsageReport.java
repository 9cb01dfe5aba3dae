package io.budgetguard.ledger;

import java.time.LocalDate;
import java.util.List;

/** Ledger totals of one tenant between two days (inclusive), grouped by model or by UTC day. */
public record UsageReport(String tenantId, LocalDate from, LocalDate to, String groupBy, List<Row> rows, Row total) {
    public record Row(String key, long requests, long promptTokens, long completionTokens, long costMicroUsd) {
        /** This row's sums plus {@code other}'s, under {@code key}. */
        public Row plus(String key, Row other) {
            return new Row(key, requests + other.requests, Math.addExact(promptTokens, other.promptTokens),
                    Math.addExact(completionTokens, other.completionTokens), Math.addExact(costMicroUsd, other.costMicroUsd));
        }
    }
}
