package io.budgetguard.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.budgetguard.core.Budget;
import io.budgetguard.core.BudgetPeriod;
import io.budgetguard.core.Money;
import io.budgetguard.http.ApiException;
import io.budgetguard.http.Identifier;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** Validation of admin request bodies: every rejection is a 400 that names the field; nothing is changed. */
final class AdminInput {
    static final Pattern TENANT_ID = Pattern.compile("^[a-z0-9][a-z0-9_-]{0,63}$");
    static final int MAX_NAME_CHARS = 200;
    static final int MAX_KEY_ID_CHARS = 64;
    static final long MAX_OUTPUT_CAP_TOKENS = 10_000_000;
    static final int MAX_BUDGETS = 16;
    static final int MAX_RATE_LIMIT_PER_MIN = 1_000_000;

    private AdminInput() {}

    static JsonNode object(ObjectMapper json, byte[] body, boolean emptyAllowed) {
        if (body.length == 0) {
            if (emptyAllowed) return json.createObjectNode();
            throw ApiException.invalidRequest("The request body must be a JSON object.");
        }
        return io.budgetguard.http.JsonBounds.readObject(json, body);
    }

    static void onlyFields(JsonNode obj, Set<String> allowed) {
        for (var it = obj.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw ApiException.invalidRequest("Unknown field '" + f + "'; allowed: " + String.join(", ", allowed) + ".", f);
            }
        }
    }

    static String tenantId(String id, String param) {
        if (id == null || !TENANT_ID.matcher(id).matches()) {
            throw ApiException.invalidRequest("Tenant ids match ^[a-z0-9][a-z0-9_-]{0,63}$.", param);
        }
        return id;
    }

    /** A key id as given in a path: unknown ones are 404, malformed ones 400 before any store sees them. */
    static String keyId(String id) {
        return Identifier.require(id, "keyId", MAX_KEY_ID_CHARS);
    }

    static String optionalName(JsonNode obj, String dflt) {
        JsonNode n = obj.get("name");
        if (n == null || n.isNull()) return dflt;
        if (!n.isTextual()) {
            throw ApiException.invalidRequest("'name' must be a non-empty string of at most " + MAX_NAME_CHARS + " characters.", "name");
        }
        return Identifier.require(n.asText(), "name", MAX_NAME_CHARS).strip();
    }

    static int rateLimit(JsonNode obj, int dflt) {
        JsonNode n = obj.get("rate_limit_per_min");
        if (n == null || n.isNull()) return dflt;
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < 1 || n.intValue() > MAX_RATE_LIMIT_PER_MIN) {
            throw ApiException.invalidRequest("'rate_limit_per_min' must be a whole number from 1 to " + MAX_RATE_LIMIT_PER_MIN + ".",
                    "rate_limit_per_min");
        }
        return n.intValue();
    }

    /** The tenant's default output cap: a whole number of tokens from 1 to 10,000,000, or null (none of its own). */
    static Long outputCap(JsonNode obj) {
        JsonNode n = obj.get("default_max_output_tokens");
        if (n == null || n.isNull()) return null;
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 1 || n.longValue() > MAX_OUTPUT_CAP_TOKENS) {
            throw ApiException.invalidRequest("'default_max_output_tokens' must be a whole number from 1 to " + MAX_OUTPUT_CAP_TOKENS
                    + ", or null.", "default_max_output_tokens");
        }
        return n.longValue();
    }

    static final long MAX_TOKENS_PER_MIN = 1_000_000_000L;

    /** Tokens per minute: a whole number from 1 to 10^9, or null (no token limit). */
    static Long tokensPerMin(JsonNode obj) {
        JsonNode n = obj.get("tokens_per_min");
        if (n == null || n.isNull()) return null;
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 1 || n.longValue() > MAX_TOKENS_PER_MIN) {
            throw ApiException.invalidRequest("'tokens_per_min' must be a whole number from 1 to " + MAX_TOKENS_PER_MIN + ", or null.",
                    "tokens_per_min");
        }
        return n.longValue();
    }

    /** Alert thresholds: 1 to 10 distinct whole percentages from 1 to 1000. */
    static List<Integer> thresholds(JsonNode n) {
        if (n == null || n.isNull()) return io.budgetguard.alert.AlertSettings.DEFAULT_THRESHOLDS_PCT;
        if (!n.isArray() || n.isEmpty() || n.size() > io.budgetguard.alert.AlertSettings.MAX_THRESHOLDS) {
            throw ApiException.invalidRequest("'thresholds_pct' must be an array of 1 to 10 percentages.", "thresholds_pct");
        }
        java.util.TreeSet<Integer> out = new java.util.TreeSet<>();
        for (JsonNode v : n) {
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 1 || v.intValue() > 1000 || !out.add(v.intValue())) {
                throw ApiException.invalidRequest("'thresholds_pct' holds distinct whole numbers from 1 to 1000.", "thresholds_pct");
            }
        }
        return List.copyOf(out);
    }

    /** Email recipients of a tenant's alerts: null or absent = ALERT_EMAIL_TO, else 1 to 10 addresses. */
    static List<String> emailRecipients(JsonNode n) {
        if (n == null || n.isNull()) return List.of();
        String shape = "'email_to' must be an array of 1 to " + io.budgetguard.alert.AlertMail.MAX_RECIPIENTS
                + " email addresses (or null for ALERT_EMAIL_TO).";
        if (!n.isArray()) throw ApiException.invalidRequest(shape, "email_to");
        List<String> out = new ArrayList<>();
        for (JsonNode v : n) {
            if (!v.isTextual()) throw ApiException.invalidRequest(shape, "email_to");
            out.add(v.asText());
        }
        try {
            return io.budgetguard.alert.AlertMail.validRecipients(out);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalidRequest("'email_to' " + e.getMessage() + ".", "email_to");
        }
    }

    /** {@code [{"period":"monthly","limit_usd":50}, ...]}: known periods, each at most once, amounts in USD. */
    static List<Budget> budgets(JsonNode n) {
        if (n == null || !n.isArray()) throw ApiException.invalidRequest("'budgets' must be an array.", "budgets");
        if (n.size() > MAX_BUDGETS) throw ApiException.invalidRequest("At most " + MAX_BUDGETS + " budgets per tenant.", "budgets");
        List<Budget> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < n.size(); i++) {
            JsonNode b = n.get(i);
            String param = "budgets[" + i + "]";
            if (!b.isObject()) throw ApiException.invalidRequest(param + " must be an object.", param);
            onlyFields(b, Set.of("period", "limit_usd"));
            JsonNode p = b.get("period");
            if (p == null || !p.isTextual()) throw ApiException.invalidRequest(param + ".period must be a string.", param + ".period");
            BudgetPeriod period;
            try {
                period = BudgetPeriod.parse(p.asText());
            } catch (IllegalArgumentException e) {
                throw ApiException.invalidRequest(param + ".period: " + e.getMessage(), param + ".period");
            }
            if (!seen.add(period.name())) {
                throw ApiException.invalidRequest("Budget period '" + period.name() + "' appears twice.", param + ".period");
            }
            JsonNode l = b.get("limit_usd");
            if (l == null || !l.isNumber()) {
                throw ApiException.invalidRequest(param + ".limit_usd must be a number (USD).", param + ".limit_usd");
            }
            try {
                out.add(new Budget(period, Money.microUsdFromUsd(l.decimalValue())));
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw ApiException.invalidRequest(param + ".limit_usd " + e.getMessage() + ".", param + ".limit_usd");
            }
        }
        return out;
    }
}
