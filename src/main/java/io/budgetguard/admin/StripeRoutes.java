package io.budgetguard.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.budgetguard.billing.StripeCustomers;
import io.budgetguard.http.ApiException;
import io.budgetguard.http.HttpCall;
import io.budgetguard.tenant.Tenant;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A tenant's Stripe customers ({@code GET/POST /admin/tenant/:id/stripe}): its own, and per API key or end user, each
 * a {@code cus_...} id; the showback duty reports the tenant's ledger rows to them.
 */
final class StripeRoutes {
    private final ObjectMapper json;
    private final StripeCustomers customers;
    private final ScopeRoutes.Admin admin;
    private final java.util.function.Function<String, Tenant> existing;

    StripeRoutes(ObjectMapper json, StripeCustomers customers, ScopeRoutes.Admin admin, java.util.function.Function<String, Tenant> existing) {
        this.json = json;
        this.customers = customers;
        this.admin = admin;
        this.existing = existing;
    }

    void get(HttpCall call, Map<String, String> params) throws IOException {
        Tenant t = existing.apply(params.get("id"));
        call.sendJson(json, 200, view(t.id(), customers.find(t.id())));
    }

    /** {"customer_id":"cus_..."|null,"keys":{"key_id":"cus_..."},"users":{"alice":"cus_..."}}; all absent = stop reporting. */
    void replace(HttpCall call, Map<String, String> params) throws IOException {
        Tenant t = existing.apply(params.get("id"));
        JsonNode in = admin.body(call);
        AdminInput.onlyFields(in, Set.of("customer_id", "keys", "users"));
        JsonNode own = in.get("customer_id");
        String customer = own == null || own.isNull() ? null : customer(own, "customer_id");
        StripeCustomers.Mapping m = new StripeCustomers.Mapping(customer, map(in.get("keys"), "keys"), map(in.get("users"), "users"));
        if (m.byKey().size() + m.byUser().size() + 1 > StripeCustomers.MAX_MAPPINGS) {
            throw ApiException.invalidRequest("At most " + StripeCustomers.MAX_MAPPINGS + " Stripe customers per tenant.");
        }
        customers.replace(t.id(), m);
        call.sendJson(json, 200, view(t.id(), m));
    }

    private static Map<String, String> map(JsonNode n, String field) {
        Map<String, String> out = new LinkedHashMap<>();
        if (n == null || n.isNull()) return out;
        if (!n.isObject()) throw ApiException.invalidRequest("'" + field + "' must be an object of id to Stripe customer id.", field);
        for (var it = n.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().isEmpty() || e.getKey().length() > 256) {
                throw ApiException.invalidRequest("'" + field + "' keys are 1 to 256 characters.", field);
            }
            out.put(e.getKey(), customer(e.getValue(), field));
        }
        return out;
    }

    private static String customer(JsonNode n, String field) {
        try {
            return StripeCustomers.validCustomer(n.isTextual() ? n.asText() : null);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalidRequest("'" + field + "' " + e.getMessage() + ".", field);
        }
    }

    private ObjectNode view(String tenantId, StripeCustomers.Mapping m) {
        ObjectNode o = json.createObjectNode();
        o.put("tenant_id", tenantId);
        o.put("customer_id", m.tenantCustomer());
        ObjectNode keys = o.putObject("keys");
        m.byKey().forEach(keys::put);
        ObjectNode users = o.putObject("users");
        m.byUser().forEach(users::put);
        StripeCustomers.Watermark w = customers.watermark(tenantId);
        if (w == null) {
            o.putNull("reported");
        } else {
            o.putObject("reported").put("through_seq", w.reportedSeq()).put("events_sent", w.eventsSent())
                    .put("rows_skipped", w.rowsSkipped()).put("failed_attempts", w.attempts())
                    .put("next_attempt_at", w.nextAttemptAt().toString()).put("updated_at", w.updatedAt().toString());
        }
        return o;
    }
}
