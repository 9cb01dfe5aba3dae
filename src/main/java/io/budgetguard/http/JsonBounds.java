package io.budgetguard.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;

/**
 * Strict JSON for the admin API and the proxy alike: one object, nothing after it, no duplicate keys (the mapper's
 * features), and no number whose exponent could make arithmetic on it explode ({@code 1e-2147483648}, {@code 1e999999}):
 * each is a 400 naming the field, before anything is priced, reserved, forwarded or stored.
 */
public final class JsonBounds {
    /** Decimal exponents beyond this are refused: no real token count, price or temperature needs them. */
    public static final int MAX_DECIMAL_EXPONENT = 400;

    private JsonBounds() {}

    public static JsonNode readObject(ObjectMapper json, byte[] body) {
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw ApiException.invalidRequest("We could not parse the JSON body of your request: " + e.getOriginalMessage()
                    + ". The body must be one JSON object.");
        } catch (NumberFormatException | ArithmeticException e) {
            throw ApiException.invalidRequest("A number in the JSON body is out of range.");
        } catch (IOException e) {
            throw ApiException.invalidRequest("We could not read the JSON body of your request.");
        }
        if (root == null || !root.isObject()) throw ApiException.invalidRequest("The request body must be a JSON object.");
        checkNumbers(root, "");
        return root;
    }

    private static void checkNumbers(JsonNode n, String path) {
        if (n.isBigDecimal()) {
            java.math.BigDecimal d = n.decimalValue();
            long exponent = (long) d.precision() - d.scale();
            if (Math.abs(exponent) > MAX_DECIMAL_EXPONENT || Math.abs((long) d.scale()) > MAX_DECIMAL_EXPONENT) {
                throw ApiException.invalidRequest("The number in '" + path + "' is out of range.", path);
            }
        } else if (n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode v = e.getValue();
                if (v.isContainerNode() || v.isBigDecimal()) checkNumbers(v, path.isEmpty() ? e.getKey() : path + "." + e.getKey());
            }
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                JsonNode v = n.get(i);
                if (v.isContainerNode() || v.isBigDecimal()) checkNumbers(v, path + "[" + i + "]");
            }
        }
    }
}
