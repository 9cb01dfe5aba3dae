package io.budgetguard.auth;

/** An authenticated tenant request: which tenant and which of its keys. */
public record Caller(String tenantId, String keyId, String keyName) {}
