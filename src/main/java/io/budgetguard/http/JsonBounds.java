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
        String bad = outOfRange(root);
        if (bad != null) throw ApiException.invalidRequest("The number in '" + bad + "' is out of range.", bad);
        return root;
    }

    /**
     * The path of the first number out of range ("" for the node itself), or null. The path is built only for the one
     * bad number, on the way back up, so a body of many messages costs no string work.
     */
    private static String outOfRange(JsonNode n) {
        if (n.isBigDecimal()) {
            java.math.BigDecimal d = n.decimalValue();
            long exponent = (long) d.precision() - d.scale();
            boolean bad = Math.abs(exponent) > MAX_DECIMAL_EXPONENT || Math.abs((long) d.scale()) > MAX_DECIMAL_EXPONENT;
            return bad ? "" : null;
        }
        if (n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String bad = outOfRange(e.getValue());
                if (bad != null) return bad.isEmpty() || bad.startsWith("[") ? e.getKey() + bad : e.getKey() + "." + bad;
            }
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                String bad = outOfRange(n.get(i));
                if (bad != null) return "[" + i + "]" + (bad.isEmpty() || bad.startsWith("[") ? bad : "." + bad);
            }
        }
        return null;
    }
}
