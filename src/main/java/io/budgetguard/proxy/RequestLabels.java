package io.budgetguard.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import io.budgetguard.http.ApiException;
import io.budgetguard.http.HttpCall;
import io.budgetguard.http.Identifier;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Who a call is for and how it is charged back: the application's end user ({@code X-BudgetGuard-User}, else the
 * body's {@code user} or {@code safety_identifier}, else Anthropic's {@code metadata.user_id}) and its tags
 * ({@code X-BudgetGuard-Tags: team=search,feature=autocomplete}: at most {@value #MAX_TAGS}, keys of
 * {@value #MAX_TAG_KEY_CHARS} and values of {@value #MAX_TAG_VALUE_CHARS} characters at most). Tags are kept in
 * canonical form, sorted by key, so equal tag sets are equal strings in the ledger.
 */
record RequestLabels(String endUser, String tags, Map<String, String> tagMap) {
    static final int MAX_TAGS = 10;
    static final int MAX_TAG_KEY_CHARS = 32;
    static final int MAX_TAG_VALUE_CHARS = 64;
    static final int MAX_END_USER_CHARS = ProxyRequest.MAX_END_USER_CHARS;
    private static final Pattern TAG_KEY = Pattern.compile("[a-z0-9][a-z0-9_.-]{0," + (MAX_TAG_KEY_CHARS - 1) + "}");
    private static final Pattern TAG_VALUE = Pattern.compile("[A-Za-z0-9_.:/@+-]{1," + MAX_TAG_VALUE_CHARS + "}");

    static RequestLabels of(HttpCall call, ProxyRequest req) {
        return new RequestLabels(endUser(call.header("X-BudgetGuard-User"), req.json()), null,
                tags(call.header("X-BudgetGuard-Tags")));
    }

    RequestLabels {
        tagMap = Map.copyOf(tagMap);
        if (tags == null) {
            StringBuilder b = new StringBuilder();
            new TreeMap<>(tagMap).forEach((k, v) -> b.append(b.isEmpty() ? "" : ",").append(k).append('=').append(v));
            tags = b.toString();
        }
    }

    static String endUser(String header, JsonNode body) {
        if (header != null && !header.isBlank()) return Identifier.require(header.strip(), "X-BudgetGuard-User", MAX_END_USER_CHARS);
        if (body == null) return null;
        for (String field : ProxyRequest.END_USER_FIELDS) {
            JsonNode v = body.get(field);
            if (v != null && v.isTextual() && !v.asText().isBlank()) return v.asText(); // validated when parsed
        }
        JsonNode anthropic = body.path("metadata").get("user_id");
        if (anthropic != null && anthropic.isTextual() && !anthropic.asText().isBlank()) {
            return Identifier.require(anthropic.asText(), "metadata.user_id", MAX_END_USER_CHARS);
        }
        return null;
    }

    static Map<String, String> tags(String header) {
        if (header == null || header.isBlank()) return Map.of();
        String[] pairs = header.split(",", MAX_TAGS + 2);
        if (pairs.length > MAX_TAGS) throw bad("at most " + MAX_TAGS + " tags");
        Map<String, String> out = new TreeMap<>();
        for (String pair : pairs) {
            String p = pair.strip();
            int eq = p.indexOf('=');
            if (eq <= 0) throw bad("each tag is key=value");
            String k = p.substring(0, eq);
            String v = p.substring(eq + 1);
            if (!TAG_KEY.matcher(k).matches()) throw bad("a tag key is 1-" + MAX_TAG_KEY_CHARS + " of a-z, 0-9, '_', '.', '-'");
            if (!TAG_VALUE.matcher(v).matches()) {
                throw bad("a tag value is 1-" + MAX_TAG_VALUE_CHARS + " of A-Z, a-z, 0-9 and _ . : / @ + -");
            }
            if (out.put(k, v) != null) throw bad("the tag '" + k + "' is given twice");
        }
        return out;
    }

    private static ApiException bad(String why) {
        return ApiException.invalidRequest("X-BudgetGuard-Tags: " + why + ", e.g. 'team=search,feature=autocomplete'.",
                "X-BudgetGuard-Tags");
    }
}
