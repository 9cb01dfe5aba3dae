package io.budgetguard.auth;

import io.budgetguard.tenant.ApiKey;

/** An authenticated tenant request: which tenant, which of its keys, and what that key may do. */
public record Caller(String tenantId, String keyId, String keyName, ApiKey.Controls controls) {
    public Caller(String tenantId, String keyId, String keyName) {
        this(tenantId, keyId, keyName, ApiKey.Controls.NONE);
    }
}
