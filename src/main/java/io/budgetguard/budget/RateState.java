package io.budgetguard.budget;

/** The tenant's per-minute request limit after this request: what x-ratelimit-* headers report. */
public record RateState(int limit, int remaining, long resetMs) {}
