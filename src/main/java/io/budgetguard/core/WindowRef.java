package io.budgetguard.core;

/**
 * A budget window a reservation was made in: stable id ({@code monthly:<startMs>} or {@code rolling:1d}, prefixed
 * by its scope's, e.g. {@code key:key_ab/monthly:<startMs>}), limit, and whose spend it counts.
 */
public record WindowRef(String id, BudgetPeriod period, long startMs, long endMs, long limitMicroUsd, WindowScope scope) {
    /** Rolling windows keep this many buckets (plus the current one). */
    public static final int ROLLING_BUCKETS = 24;

    public WindowRef {
        if (scope == null) throw new IllegalStateException("a window has a scope");
    }

    /** A window of the whole tenant. */
    public WindowRef(String id, BudgetPeriod period, long startMs, long endMs, long limitMicroUsd) {
        this(id, period, startMs, endMs, limitMicroUsd, WindowScope.TENANT);
    }

    public static WindowRef of(Budget b, long nowMs) {
        return of(b, nowMs, WindowScope.TENANT);
    }

    public static WindowRef of(Budget b, long nowMs, WindowScope scope) {
        BudgetWindow w = b.period().windowAt(java.time.Instant.ofEpochMilli(nowMs));
        String id = b.period().kind() == BudgetPeriod.Kind.ROLLING
                ? b.period().name()
                : b.period().name() + ":" + w.start().toEpochMilli();
        return new WindowRef(scope.idPrefix() + id, b.period(), w.start().toEpochMilli(), w.end().toEpochMilli(),
                b.limitMicroUsd(), scope);
    }

    /** The current window of each budget, in order. */
    public static java.util.List<WindowRef> all(java.util.List<Budget> budgets, long nowMs) {
        java.util.List<WindowRef> out = new java.util.ArrayList<>(budgets.size());
        for (Budget b : budgets) out.add(of(b, nowMs));
        return out;
    }

    public boolean rolling() {
        return period.kind() == BudgetPeriod.Kind.ROLLING;
    }

    /** Whether a request started at {@code startedMs} counts in this window (a rolling window takes every request). */
    public boolean covers(long startedMs) {
        return rolling() || (startMs <= startedMs && startedMs < endMs);
    }

    /** Whether a request of this key, model and end user, started then, counts in this window. */
    public boolean counts(long startedMs, String apiKeyId, String model, String endUser) {
        return covers(startedMs) && scope.matches(apiKeyId, model, endUser);
    }

    public long bucketMs() {
        return rolling() ? period.rollingSpan().toMillis() / ROLLING_BUCKETS : 0;
    }
}
