package io.budgetguard.tenant;

import java.time.Instant;
import java.util.Set;

/**
 * A tenant API key as stored: never the key itself, only its id, display prefix and (elsewhere) its hash; and its
 * controls. {@code secretValidUntil} is set when the key was found by a secret retired by a rotation: that secret
 * works until then.
 */
public record ApiKey(String id, String tenantId, String name, String prefix, Instant createdAt, Instant revokedAt,
                     Controls controls, Instant secretValidUntil) {
    /**
     * What a key may do: until when ({@code expiresAt}, null = no expiry), which models or model groups it may call
     * (empty = any), the output cap set on its requests that set none (null = the tenant's), and its own requests per
     * minute and tokens per minute within the tenant's (null = only the tenant's).
     */
    public record Controls(Instant expiresAt, Set<String> allowedModels, Long defaultMaxOutputTokens, Integer rateLimitPerMin,
                           Long tokensPerMin) {
        public static final Controls NONE = new Controls(null, Set.of(), null, null, null);

        public Controls {
            allowedModels = Set.copyOf(allowedModels);
            if (rateLimitPerMin != null && rateLimitPerMin <= 0) throw new IllegalStateException("a rate limit is positive");
            if (tokensPerMin != null && tokensPerMin <= 0) throw new IllegalStateException("a token limit is positive");
            if (defaultMaxOutputTokens != null && defaultMaxOutputTokens <= 0) {
                throw new IllegalStateException("a default output cap is positive: " + defaultMaxOutputTokens);
            }
        }
    }

    public ApiKey {
        if (controls == null) controls = Controls.NONE;
    }

    /** A key without controls, found by its current secret. */
    public ApiKey(String id, String tenantId, String name, String prefix, Instant createdAt, Instant revokedAt) {
        this(id, tenantId, name, prefix, createdAt, revokedAt, Controls.NONE, null);
    }

    public boolean revoked() {
        return revokedAt != null;
    }

    /** Whether the key (by the secret it was found with) still opens the gateway at {@code now}. */
    public boolean usableAt(Instant now) {
        if (revoked()) return false;
        if (controls.expiresAt() != null && !now.isBefore(controls.expiresAt())) return false;
        return secretValidUntil == null || now.isBefore(secretValidUntil);
    }
}
