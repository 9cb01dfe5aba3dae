package io.budgetguard.ledger;

import java.time.LocalDate;
import java.util.List;

/** Ledger totals of one tenant between two days (inclusive), grouped by model or by UTC day. */
public record UsageReport(String tenantId, LocalDate from, LocalDate to, String groupBy, List<Row> rows, Row total) {
    public record Row(String key, long requests, long promptTokens, long completionTokens, long costMicroUsd) {}
}
