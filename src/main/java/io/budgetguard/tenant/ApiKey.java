package io.budgetguard.tenant;

import java.time.Instant;

/** A tenant API key as stored: never the key itself, only its id, display prefix and (elsewhere) its hash. */
public record ApiKey(String id, String tenantId, String name, String prefix, Instant createdAt, Instant revokedAt) {
    public boolean revoked() {
        return revokedAt != null;
    }
}
