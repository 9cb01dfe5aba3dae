package io.budgetguard.http;

/**
 * Names that travel into the ledger, logs, CSV export and dashboard (model names, tenant and key names, key ids,
 * user ids): bounded in length and free of control characters, checked at the door so a rejected one is a 400 that
 * names the field, before anything is priced, reserved, forwarded or stored.
 */
public final class Identifier {
    private Identifier() {}

    /** {@code value} itself when acceptable; otherwise a 400 naming {@code field}. */
    public static String require(String value, String field, int maxChars) {
        if (value == null || value.isBlank()) {
            throw ApiException.invalidRequest("'" + field + "' must be a non-empty string.", field);
        }
        if (value.length() > maxChars) {
            throw ApiException.invalidRequest("'" + field + "' is longer than " + maxChars + " characters.", field);
        }
        int bad = firstForbidden(value);
        if (bad >= 0) {
            throw ApiException.invalidRequest("'" + field + "' contains the control or formatting character U+"
                    + String.format("%04X", (int) value.charAt(bad)) + " at position " + bad + "; identifiers may not.", field);
        }
        return value;
    }

    /** Index of the first C0, DEL, C1, bidi control, line/paragraph separator or lone surrogate; -1 when none. */
    static int firstForbidden(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || isBidiControl(c) || c == '\u2028' || c == '\u2029' || c == '\uFEFF') {
                return i;
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return i;
            }
            if (Character.isLowSurrogate(c)) return i;
        }
        return -1;
    }

    private static boolean isBidiControl(char c) {
        return c == '\u061C' || c == '\u200E' || c == '\u200F' || (c >= '\u202A' && c <= '\u202E') || (c >= '\u2066' && c <= '\u2069');
    }
}
