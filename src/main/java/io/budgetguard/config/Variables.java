package io.budgetguard.config;

import io.budgetguard.core.Money;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The variables of one settings load: typed, bounded reads with defaults, every problem collected (one line per
 * variable, all reported at once), and a record of what was read (the documentation tests check it).
 */
final class Variables {
    private final Map<String, String> vars;
    private final List<String> problems = new ArrayList<>();
    /** Every variable this load looked at, in order (the documentation test checks each is documented). */
    private final Set<String> read = new LinkedHashSet<>();
    /** Whole-number settings read: name to {default, min, max} (the README's defaults are checked against it). */
    private final Map<String, long[]> numeric = new LinkedHashMap<>();

    Variables(Map<String, String> vars) {
        this.vars = vars;
    }

    void problem(String line) {
        problems.add(line);
    }

    List<String> problems() {
        return problems;
    }

    Set<String> read() {
        return read;
    }

    Map<String, long[]> numeric() {
        return numeric;
    }

    String str(String name) {
        read.add(name);
        String v = vars.get(name);
        return v == null || v.isBlank() ? null : v.trim();
    }

    /** A secret the providers file refers to by name: not a setting of its own, so not recorded as read. */
    String secret(String name) {
        String v = vars.get(name);
        return v == null || v.isBlank() ? null : v.trim();
    }

    String str(String name, String dflt) {
        String v = str(name);
        return v == null ? dflt : v;
    }

    boolean bool(String name) {
        String v = str(name, "false").toLowerCase(java.util.Locale.ROOT);
        return switch (v) {
            case "1", "true", "yes", "on" -> true;
            case "0", "false", "no", "off" -> false;
            default -> {
                problem(name + ": '" + v + "' is not a boolean (true or false)");
                yield false;
            }
        };
    }

    int intIn(String name, int dflt, int min, int max) {
        return (int) longIn(name, dflt, min, max);
    }

    long longIn(String name, long dflt, long min, long max) {
        numeric.put(name, new long[] {dflt, min, max});
        String v = str(name);
        if (v == null) return dflt;
        try {
            long n = Long.parseLong(v);
            if (n < min || n > max) {
                problem(name + ": " + n + " is out of range (" + min + ".." + max + ")");
                return dflt;
            }
            return n;
        } catch (NumberFormatException e) {
            problem(name + ": '" + v + "' is not a whole number");
            return dflt;
        }
    }

    long usd(String name, String dflt) {
        try {
            return Money.microUsdFromUsd(str(name, dflt));
        } catch (IllegalArgumentException e) {
            problem(name + ": '" + str(name, dflt) + "' " + e.getMessage() + " (a USD amount such as 10 or 2.50)");
            return 0;
        }
    }
}
