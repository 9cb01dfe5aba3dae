package io.budgetguard.proxy;

import io.budgetguard.config.Settings;
import java.io.IOException;
import java.net.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads an upstream response head strictly (HTTP/1.x status line, bounded headers, no folding, 1xx skipped, one
 * framing: Content-Length or chunked, never both) and hands back the body reader it implies.
 */
final class UpstreamResponses {
    /** 1xx interim answers skipped before the real one; more is an upstream error. */
    static final int MAX_INTERIM_RESPONSES = 8;
    private static final Pattern STATUS_CODE = Pattern.compile("[1-5][0-9][0-9]");
    private static final Pattern CONTENT_LENGTH = Pattern.compile("[0-9]{1,18}");
    private static final Pattern KEEP_ALIVE_TIMEOUT = Pattern.compile("timeout=\\s*([0-9]{1,6})");

    private final Settings.UpstreamLimits limits;
    private final Consumer<UpstreamConnection> release;

    UpstreamResponses(Settings.UpstreamLimits limits, Consumer<UpstreamConnection> release) {
        this.limits = limits;
        this.release = release;
    }

    /** Reads heads until the final (non-1xx) one; its framing decides how the body is read. */
    Upstream.Response read(UpstreamConnection conn, String method) throws IOException {
        HeadReader reader = new HeadReader(conn, limits.maxHeaderBytes());
        for (int interim = 0; ; interim++) {
            String statusLine = reader.line();
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !(parts[0].equals("HTTP/1.1") || parts[0].equals("HTTP/1.0"))
                    || !STATUS_CODE.matcher(parts[1]).matches()) {
                throw new UpstreamProtocolException("not an HTTP/1.x status line");
            }
            int code = Integer.parseInt(parts[1]);
            Map<String, List<String>> headers = readHeaders(reader);
            if (code == 101) throw new UpstreamProtocolException("unexpected 101 Switching Protocols");
            if (code < 200) {
                if (interim >= MAX_INTERIM_RESPONSES) throw new UpstreamProtocolException("too many 1xx responses");
                continue;
            }
            return response(conn, method, parts[0], code, headers);
        }
    }

    private Map<String, List<String>> readHeaders(HeadReader reader) throws IOException {
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 0; ; i++) {
            String line = reader.line();
            if (line.isEmpty()) return headers;
            if (i >= limits.maxHeaders()) throw new UpstreamProtocolException("more than " + limits.maxHeaders() + " headers");
            int colon = line.indexOf(':');
            // A line without a name, or a folded continuation line, is not HTTP/1.1 a proxy may accept.
            if (colon <= 0 || line.charAt(0) == ' ' || line.charAt(0) == '\t' || line.charAt(colon - 1) == ' ') {
                throw new UpstreamProtocolException("malformed header line");
            }
            headers.computeIfAbsent(line.substring(0, colon).toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                    .add(line.substring(colon + 1).trim());
        }
    }

    private Upstream.Response response(UpstreamConnection conn, String method, String version, int code,
                              Map<String, List<String>> headers) throws IOException {
        List<String> lengths = headers.getOrDefault("content-length", List.of());
        List<String> encodings = headers.get("transfer-encoding");
        boolean chunked = false;
        if (encodings != null) {
            if (!lengths.isEmpty()) throw new UpstreamProtocolException("Content-Length together with Transfer-Encoding");
            if (encodings.size() != 1 || !encodings.get(0).equalsIgnoreCase("chunked")) {
                throw new UpstreamProtocolException("unsupported Transfer-Encoding");
            }
            chunked = true;
        }
        if (lengths.size() > 1) throw new UpstreamProtocolException("more than one Content-Length");
        long length = -1;
        if (lengths.size() == 1) {
            String v = lengths.get(0);
            if (!CONTENT_LENGTH.matcher(v).matches()) throw new UpstreamProtocolException("invalid Content-Length");
            length = Long.parseLong(v);
        }
        if (method.equals("HEAD") || code == 204 || code == 304) length = 0;
        HttpHeaders h = HttpHeaders.of(headers, (k, v) -> true);
        boolean keepAlive = version.equals("HTTP/1.1")
                && h.allValues("connection").stream().noneMatch(v -> v.toLowerCase(Locale.ROOT).contains("close"));
        conn.retireAtNanos = retireAt(h);
        return new Upstream.Response(code, h, new UpstreamBody(conn, length, chunked, keepAlive, release));
    }

    /** Our keep-alive limit, or a second before the upstream's own ({@code Keep-Alive: timeout=N}) if sooner. */
    private long retireAt(HttpHeaders h) {
        long ms = limits.keepAliveMs();
        String ka = h.firstValue("keep-alive").orElse(null);
        if (ka != null) {
            Matcher m = KEEP_ALIVE_TIMEOUT.matcher(ka);
            if (m.find()) ms = Math.min(ms, Math.max(0, Long.parseLong(m.group(1)) * 1000 - 1000));
        }
        return System.nanoTime() + ms * 1_000_000;
    }
}
