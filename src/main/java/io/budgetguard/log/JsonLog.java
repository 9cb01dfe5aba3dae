package io.budgetguard.log;

import java.io.PrintStream;
import java.time.Instant;

/**
 * Structured logs: one JSON object per line on stdout. Callers pass field names and values in pairs.
 * Invariant: no secret and no prompt text is ever passed here; values are escaped, so a hostile value
 * cannot forge a second line.
 */
public final class JsonLog {
    private static volatile PrintStream out = System.out;

    private JsonLog() {}

    /** Tests capture every line the gateway writes. */
    public static void redirect(PrintStream stream) {
        out = stream;
    }

    public static void info(String event, Object... fields) {
        write("info", event, fields);
    }

    public static void warn(String event, Object... fields) {
        write("warn", event, fields);
    }

    public static void error(String event, Object... fields) {
        write("error", event, fields);
    }

    private static void write(String level, String event, Object... fields) {
        if (fields.length % 2 != 0) throw new IllegalStateException("log fields come in name/value pairs");
        StringBuilder b = new StringBuilder(128 + fields.length * 16);
        b.append("{\"ts\":\"").append(Instant.now()).append("\",\"level\":\"").append(level).append("\",\"event\":");
        string(b, event);
        for (int i = 0; i < fields.length; i += 2) {
            b.append(',');
            string(b, String.valueOf(fields[i]));
            b.append(':');
            Object v = fields[i + 1];
            if (v == null) b.append("null");
            else if (v instanceof Number || v instanceof Boolean) b.append(v);
            else string(b, v.toString());
        }
        b.append('}');
        out.println(b);
    }

    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }
}
