package io.budgetguard.budget;

/**
 * The per-minute limits one admission checks: requests and tokens (a request's estimated prompt plus its reserved
 * output, settled to what it used), the tenant's and its key's own; 0 = no such limit.
 */
public record RateLimits(int requestsPerMin, int keyRequestsPerMin, long tokensPerMin, long keyTokensPerMin) {
    public RateLimits {
        if (requestsPerMin <= 0) throw new IllegalStateException("a tenant has a request limit");
        if (keyRequestsPerMin < 0 || tokensPerMin < 0 || keyTokensPerMin < 0) throw new IllegalStateException("negative limit");
    }

    public boolean countsTokens() {
        return tokensPerMin > 0 || keyTokensPerMin > 0;
    }
}
