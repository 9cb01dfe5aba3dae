package io.budgetguard.config;

import java.util.List;

/** ADMIN_API_KEY: long enough, not a placeholder known to everyone, not guessable; refused at start otherwise. */
final class AdminKeyRule {
    private AdminKeyRule() {}

    /** Words of placeholder keys (such as .env.example's): a key containing one is known to everyone. */
    private static final List<String> PLACEHOLDER_WORDS = List.of("change-me", "changeme", "change_me", "replace-me",
            "replaceme", "your-", "placeholder", "example", "xxxxxxxx");
    /** A key of fewer distinct characters is guessable however long it is ("aaaaaaaaaaaaaaaa"). */
    static final int MIN_ADMIN_KEY_DISTINCT_CHARS = 8;

    static String check(Variables v) {
        String key = v.str("ADMIN_API_KEY");
        if (key == null) return null;
        String fix = " (use e.g. `openssl rand -hex 24`, or unset it to keep the admin API off)";
        if (key.length() < 16) {
            v.problem("ADMIN_API_KEY: must be at least 16 characters" + fix);
            return null;
        }
        String lower = key.toLowerCase(java.util.Locale.ROOT);
        if (PLACEHOLDER_WORDS.stream().anyMatch(lower::contains)) {
            v.problem("ADMIN_API_KEY: is a placeholder (such as the one in .env.example), known to everyone" + fix);
            return null;
        }
        if (key.chars().distinct().count() < MIN_ADMIN_KEY_DISTINCT_CHARS) {
            v.problem("ADMIN_API_KEY: has fewer than " + MIN_ADMIN_KEY_DISTINCT_CHARS + " distinct characters" + fix);
            return null;
        }
        return key;
    }
}
