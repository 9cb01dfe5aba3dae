package io.budgetguard.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.budgetguard.auth.KeyMaterial;
import io.budgetguard.auth.TenantAuth;
import io.budgetguard.http.ApiException;
import io.budgetguard.http.HttpCall;
import io.budgetguard.http.Identifier;
import io.budgetguard.tenant.ApiKey;
import io.budgetguard.tenant.TenantStore;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * What one API key may do: {@code POST /admin/tenant/{id}/apikeys/{keyId}} sets its expiry, allowed models (or model
 * groups) and default output cap; {@code POST .../rotate} gives it a new secret, the old one working for a grace
 * period. Reflected on every gateway within the key cache's lifetime (at most 1 s), at once on this one.
 */
final class KeyControlRoutes {
    static final int MAX_ALLOWED_MODELS = 100;
    static final long MAX_GRACE_S = 30L * 24 * 3600;
    static final long DEFAULT_GRACE_S = 3600;
    static final Set<String> CONTROL_FIELDS = Set.of("expires_at", "allowed_models", "default_max_output_tokens", "rate_limit_per_min",
            "tokens_per_min");

    private final ObjectMapper json;
    private final Clock clock;
    private final TenantStore tenants;
    private final TenantAuth auth;
    private final ScopeRoutes.Admin admin;

    KeyControlRoutes(ObjectMapper json, Clock clock, TenantStore tenants, TenantAuth auth, ScopeRoutes.Admin admin) {
        this.json = json;
        this.clock = clock;
        this.tenants = tenants;
        this.auth = auth;
        this.admin = admin;
    }

    /**
     * {@code {"expires_at": "2027-01-01T00:00:00Z" | null, "allowed_models": [...] | null, "default_max_output_tokens":
     * n | null, "rate_limit_per_min": n | null}}: every control at once (an absent field clears it).
     */
    void setControls(HttpCall call, Map<String, String> params) throws IOException {
        String id = AdminInput.tenantId(params.get("id"), "id");
        String keyId = AdminInput.keyId(params.get("keyId"));
        JsonNode in = admin.body(call);
        AdminInput.onlyFields(in, CONTROL_FIELDS);
        if (!tenants.setKeyControls(id, keyId, controls(in))) {
            throw ApiException.notFound("No API key '" + keyId + "' for tenant '" + id + "'.");
        }
        auth.forgetKey(keyId);
        admin.sendTenant(call, id);
    }

    /** {@code {"grace_s": 3600}}: a new secret, shown once; the old one works for grace_s more seconds. */
    void rotate(HttpCall call, Map<String, String> params) throws IOException {
        String id = AdminInput.tenantId(params.get("id"), "id");
        String keyId = AdminInput.keyId(params.get("keyId"));
        JsonNode in = admin.body(call);
        AdminInput.onlyFields(in, Set.of("grace_s"));
        JsonNode g = in.get("grace_s");
        long grace = DEFAULT_GRACE_S;
        if (g != null && !g.isNull()) {
            if (!g.isIntegralNumber() || g.asLong() < 0 || g.asLong() > MAX_GRACE_S) {
                throw ApiException.invalidRequest("'grace_s' must be a whole number of seconds from 0 to " + MAX_GRACE_S + ".", "grace_s");
            }
            grace = g.asLong();
        }
        String key = KeyMaterial.newKey();
        Instant until = clock.instant().plusSeconds(grace);
        if (!tenants.rotateKey(id, keyId, KeyMaterial.hash(key), KeyMaterial.displayPrefix(key), until)) {
            throw ApiException.notFound("No active API key '" + keyId + "' for tenant '" + id + "'.");
        }
        auth.forgetKey(keyId);
        ObjectNode out = json.createObjectNode();
        out.put("id", keyId);
        out.put("key", key);
        out.put("prefix", KeyMaterial.displayPrefix(key));
        out.put("tenant_id", id);
        out.put("previous_key_valid_until", until.toString());
        call.sendJson(json, 200, out);
    }

    /** The controls a body sets (absent fields: none). */
    static ApiKey.Controls controls(JsonNode in) {
        Instant expires = null;
        JsonNode e = in.get("expires_at");
        if (e != null && !e.isNull()) {
            try {
                expires = Instant.parse(e.asText(""));
            } catch (java.time.format.DateTimeParseException ex) {
                throw ApiException.invalidRequest("'expires_at' must be an ISO-8601 instant such as 2027-01-01T00:00:00Z, or null.", "expires_at");
            }
        }
        Set<String> models = new LinkedHashSet<>();
        JsonNode m = in.get("allowed_models");
        if (m != null && !m.isNull()) {
            if (!m.isArray() || m.isEmpty() || m.size() > MAX_ALLOWED_MODELS) {
                throw ApiException.invalidRequest("'allowed_models' must be a list of 1 to " + MAX_ALLOWED_MODELS
                        + " model or model group names, or null (any model).", "allowed_models");
            }
            for (JsonNode n : m) {
                if (!n.isTextual()) throw ApiException.invalidRequest("'allowed_models' must hold strings.", "allowed_models");
                models.add(Identifier.require(n.asText(), "allowed_models", 256));
            }
        }
        Integer rate = in.hasNonNull("rate_limit_per_min") ? AdminInput.rateLimit(in, 0) : null;
        return new ApiKey.Controls(expires, models, AdminInput.outputCap(in), rate, AdminInput.tokensPerMin(in));
    }
}
