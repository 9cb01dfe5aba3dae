package io.budgetguard.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** SQL files shipped in the jar under {@code sql/}: migrations split into statements, and named queries. */
final class SqlScript {
    private static final String NAME_MARKER = "-- name:";

    private SqlScript() {}

    static String resource(String path) {
        try (InputStream in = SqlScript.class.getResourceAsStream("/" + path)) {
            if (in == null) throw new IllegalStateException("missing SQL resource " + path);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read SQL resource " + path, e);
        }
    }

    /** {@code -- name: x} sections; each query runs as written, with '?' parameters only. */
    static Map<String, String> namedQueries(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        String name = null;
        StringBuilder sql = new StringBuilder();
        for (String line : text.split("\n")) {
            if (line.startsWith(NAME_MARKER)) {
                put(out, name, sql);
                name = line.substring(NAME_MARKER.length()).trim();
                sql.setLength(0);
            } else if (name != null && !line.startsWith("--")) {
                sql.append(line).append('\n');
            }
        }
        put(out, name, sql);
        return out;
    }

    private static void put(Map<String, String> out, String name, StringBuilder sql) {
        if (name == null) return;
        String q = sql.toString().trim();
        if (q.endsWith(";")) q = q.substring(0, q.length() - 1);
        if (out.put(name, q) != null) throw new IllegalStateException("query " + name + " defined twice");
    }

    /** Splits a migration on ';' outside quotes, comments and $$-quoted bodies (PL/pgSQL). */
    static List<String> statements(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inQuote = false;
        boolean inDollar = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!inQuote && !inDollar && c == '-' && i + 1 < text.length() && text.charAt(i + 1) == '-') {
                int nl = text.indexOf('\n', i);
                i = nl < 0 ? text.length() : nl;
                cur.append('\n');
                continue;
            }
            if (!inQuote && c == '$' && i + 1 < text.length() && text.charAt(i + 1) == '$') {
                inDollar = !inDollar;
                cur.append("$$");
                i++;
                continue;
            }
            if (!inDollar && c == '\'') inQuote = !inQuote;
            if (!inQuote && !inDollar && c == ';') {
                addStatement(out, cur);
                continue;
            }
            cur.append(c);
        }
        addStatement(out, cur);
        return out;
    }

    private static void addStatement(List<String> out, StringBuilder cur) {
        String s = cur.toString().trim();
        if (!s.isEmpty()) out.add(s);
        cur.setLength(0);
    }
}
