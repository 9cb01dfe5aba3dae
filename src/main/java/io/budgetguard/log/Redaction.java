package io.budgetguard.log;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks what looks like a credential in any log text, library lines included: tenant keys ({@code bg_...}),
 * provider keys ({@code sk-...}), bearer tokens, and the password of a URL ({@code scheme://user:password@}).
 * A cheap scan for the markers runs first, so ordinary lines pay no regular expression.
 */
public final class Redaction {
    static final String MASK = "<redacted>";
    private static final Pattern SECRET = Pattern.compile(
            "\\b(?:bg|sk)[_-][A-Za-z0-9_\\-]{8,}|(?i:bearer)\\s+[A-Za-z0-9._~+/=\\-]{8,}|(?<=://)[^/@\\s:]*:[^/@\\s]+(?=@)");

    private Redaction() {}

    public static String redact(String s) {
        if (s == null || !mayHoldSecret(s)) return s;
        Matcher m = SECRET.matcher(s);
        return m.find() ? m.replaceAll(MASK) : s;
    }

    private static boolean mayHoldSecret(String s) {
        return s.contains("bg_") || s.contains("sk-") || s.contains("sk_") || s.contains("://") || s.contains("earer")
                || s.contains("EARER");
    }
}
