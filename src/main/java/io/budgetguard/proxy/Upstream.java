package io.budgetguard.proxy;

import io.budgetguard.config.Settings;
import io.budgetguard.http.ApiException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * The one upstream (OpenAI or a compatible base URL fixed by configuration; no header or body can change it),
 * spoken to over HTTP/1.1 with blocking sockets on the request's virtual thread and a pool of keep-alive
 * connections. The gateway's OPENAI_KEY replaces whatever key the client sent.
 *
 * <p>At most once: a request is written to the upstream once or not at all. The only second chance is taken
 * before writing: a pooled connection that is closing or carries stray bytes is discarded for another one. Any
 * failure after the first byte was written is an upstream error the caller settles as "may have been billed".
 * Framing is strict: 1xx answers are skipped, and conflicting lengths, bad chunks or oversized heads are
 * upstream errors, never a response taken for another request's.
 */
final class Upstream implements AutoCloseable {
    /** The response's status and headers arrived; its body is still streaming. */
    record Response(int status, HttpHeaders headers, UpstreamBody body) {}

    /** 1xx interim answers skipped before the real one; more is an upstream error. */
    static final int MAX_INTERIM_RESPONSES = 8;
    private static final Pattern STATUS_CODE = Pattern.compile("[1-5][0-9][0-9]");
    private static final Pattern CONTENT_LENGTH = Pattern.compile("[0-9]{1,18}");
    private static final Pattern KEEP_ALIVE_TIMEOUT = Pattern.compile("timeout=\\s*([0-9]{1,6})");
    private static final Pattern TUNNEL_ESTABLISHED = Pattern.compile("HTTP/1\\.[01] 2[0-9][0-9].*");

    private final String host;
    private final int port;
    private final boolean tls;
    private final String basePath;
    private final String hostHeader;
    private final String authorization;
    private final int connectTimeoutMs;
    private final int firstByteTimeoutMs;
    private final Settings.UpstreamLimits limits;
    private final SSLSocketFactory tlsFactory;
    private final ConcurrentLinkedDeque<UpstreamConnection> idle = new ConcurrentLinkedDeque<>();

    Upstream(Settings s) {
        URI base = s.openaiBaseUrl();
        this.tls = "https".equals(base.getScheme());
        this.host = base.getHost();
        this.port = base.getPort() > 0 ? base.getPort() : tls ? 443 : 80;
        this.basePath = base.getRawPath() == null ? "" : base.getRawPath();
        this.hostHeader = base.getPort() > 0 ? host + ":" + port : host;
        this.authorization = s.openaiKey() == null ? null : "Bearer " + s.openaiKey();
        this.connectTimeoutMs = (int) s.upstreamConnectTimeoutMs();
        this.firstByteTimeoutMs = (int) Math.min(Integer.MAX_VALUE, s.upstreamFirstByteTimeoutMs());
        this.limits = s.upstreamLimits();
        this.tlsFactory = tls ? tlsFactory(limits) : null;
    }

    /** The JDK's trust store, or the configured one for private endpoints (checked at start). */
    private static SSLSocketFactory tlsFactory(Settings.UpstreamLimits limits) {
        if (limits.trustStore() == null) return (SSLSocketFactory) SSLSocketFactory.getDefault();
        char[] password = limits.trustStorePassword() == null ? null : limits.trustStorePassword().toCharArray();
        try (InputStream in = Files.newInputStream(limits.trustStore())) {
            KeyStore ks = KeyStore.getInstance(limits.trustStore().toString().endsWith(".jks") ? "JKS" : "PKCS12");
            ks.load(in, password);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx.getSocketFactory();
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("UPSTREAM_TRUST_STORE " + limits.trustStore() + " cannot be loaded: " + e.getMessage(), e);
        }
    }

    /**
     * Sends the request once and waits for the final response's head (bounded by the first-byte timeout).
     * @throws UpstreamFailure 502 when the upstream is unreachable or broke the protocol, 504 when too slow
     */
    Response send(String method, String path, byte[] body, String accept, String openaiBeta, String requestId,
                  UpstreamAttempt attempt) throws UpstreamFailure {
        byte[] head = head(method, path, body, accept, openaiBeta, requestId);
        UpstreamConnection conn = lend();
        attempt.writing(conn);
        try {
            conn.out.write(head);
            if (body != null) conn.out.write(body);
            conn.out.flush();
            conn.socket.setSoTimeout(firstByteTimeoutMs);
            return readHead(conn, method);
        } catch (SocketTimeoutException e) {
            conn.abort();
            throw new UpstreamFailure(ApiException.upstreamTimeout("The upstream did not answer in time."), true);
        } catch (IOException e) {
            conn.abort();
            throw new UpstreamFailure(ApiException.upstreamError("The upstream connection failed after the request "
                    + "was sent (" + reason(e) + "); it was not resent."), true);
        }
    }

    private static String reason(IOException e) {
        return e instanceof UpstreamProtocolException ? e.getMessage() : "connection closed or reset";
    }

    private byte[] head(String method, String path, byte[] body, String accept, String openaiBeta, String requestId) {
        StringBuilder b = new StringBuilder(256);
        b.append(method).append(' ').append(basePath).append(path).append(" HTTP/1.1\r\n");
        b.append("Host: ").append(hostHeader).append("\r\n");
        b.append("User-Agent: budgetguard\r\n");
        b.append("X-Client-Request-Id: ").append(requestId).append("\r\n");
        if (authorization != null) b.append("Authorization: ").append(authorization).append("\r\n");
        if (accept != null) b.append("Accept: ").append(clean(accept)).append("\r\n");
        if (openaiBeta != null) b.append("OpenAI-Beta: ").append(clean(openaiBeta)).append("\r\n");
        if (body != null) {
            b.append("Content-Type: application/json\r\n");
            b.append("Content-Length: ").append(body.length).append("\r\n");
        }
        b.append("\r\n");
        return UpstreamBody.ascii(b.toString());
    }

    /** Client-supplied header values never carry a control character into the upstream request. */
    private static String clean(String v) {
        StringBuilder b = new StringBuilder(v.length());
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? ' ' : c);
        }
        return b.toString();
    }

    /** Reads heads until the final (non-1xx) one; its framing decides how the body is read. */
    private Response readHead(UpstreamConnection conn, String method) throws IOException {
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

    private Response response(UpstreamConnection conn, String method, String version, int code,
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
        return new Response(code, h, new UpstreamBody(conn, length, chunked, keepAlive, this::release));
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

    /** A pooled connection that passed its check, else a new one; nothing of the request is written yet. */
    private UpstreamConnection lend() throws UpstreamFailure {
        long now = System.nanoTime();
        for (UpstreamConnection c; (c = idle.pollFirst()) != null; ) {
            if (now - c.retireAtNanos < 0 && c.quiet()) return c;
            c.abort();
        }
        return connect();
    }

    private UpstreamConnection connect() throws UpstreamFailure {
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open();
            Socket s = ch.socket();
            s.setTcpNoDelay(true);
            s.setKeepAlive(true);
            URI proxy = limits.proxy();
            if (proxy == null) {
                s.connect(new InetSocketAddress(host, port), connectTimeoutMs);
            } else {
                s.connect(new InetSocketAddress(proxy.getHost(), proxy.getPort() > 0 ? proxy.getPort() : 80), connectTimeoutMs);
                s.setSoTimeout(connectTimeoutMs);
                tunnel(s);
            }
            if (!tls) return new UpstreamConnection(ch, s);
            SSLSocket ssl = (SSLSocket) tlsFactory.createSocket(s, host, port, true);
            SSLParameters p = ssl.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            ssl.setSSLParameters(p);
            ssl.setSoTimeout(connectTimeoutMs);
            ssl.startHandshake();
            return new UpstreamConnection(ch, ssl);
        } catch (SocketTimeoutException e) {
            close(ch);
            throw new UpstreamFailure(ApiException.upstreamTimeout("The upstream did not accept a connection in time."), false);
        } catch (ConnectException | java.net.UnknownHostException | java.nio.channels.UnresolvedAddressException e) {
            close(ch);
            throw new UpstreamFailure(ApiException.upstreamError("The upstream is unreachable."), false);
        } catch (SSLException e) {
            close(ch);
            throw new UpstreamFailure(ApiException.upstreamError("The upstream's TLS certificate was not accepted "
                    + "(hostname or trust); nothing was sent."), false);
        } catch (IOException e) {
            close(ch);
            throw new UpstreamFailure(ApiException.upstreamError("The upstream connection failed; nothing was sent."), false);
        }
    }

    /** HTTP CONNECT through the egress proxy; a refusal is an upstream error before anything was sent. */
    private void tunnel(Socket s) throws IOException {
        String authority = host + ":" + port;
        s.getOutputStream().write(UpstreamBody.ascii("CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n"));
        s.getOutputStream().flush();
        InputStream in = s.getInputStream();
        HeadReader reader = new HeadReader(in, limits.maxHeaderBytes());
        String status = reader.line();
        if (!TUNNEL_ESTABLISHED.matcher(status).matches()) throw new UpstreamProtocolException("the egress proxy refused CONNECT");
        for (int i = 0; !reader.line().isEmpty(); i++) {
            if (i >= limits.maxHeaders()) throw new UpstreamProtocolException("too many headers from the egress proxy");
        }
    }

    private static void close(SocketChannel ch) {
        if (ch == null) return;
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing to release
        }
    }

    private void release(UpstreamConnection c) {
        if (idle.size() >= limits.maxIdleConnections() || System.nanoTime() - c.retireAtNanos >= 0) {
            c.abort();
            return;
        }
        idle.offerFirst(c);
    }

    @Override
    public void close() {
        for (UpstreamConnection c; (c = idle.pollFirst()) != null; ) c.abort();
    }

    /** The upstream broke HTTP/1.1 framing: a protocol error, answered as 502. */
    static final class UpstreamProtocolException extends IOException {
        UpstreamProtocolException(String message) {
            super(message);
        }
    }

    /**
     * Reads CRLF-terminated lines byte by byte from the buffered stream, within one byte budget for all of them: the
     * whole head (status line, interim heads and headers alike), or one chunk-size or trailer line of a body. Bare
     * LF is accepted; a NUL is not.
     */
    static final class HeadReader {
        private final InputStream in;
        private int remainingBytes;

        HeadReader(UpstreamConnection conn, int maxHeadBytes) {
            this(conn.in, maxHeadBytes);
        }

        HeadReader(InputStream in, int maxHeadBytes) {
            this.in = in;
            this.remainingBytes = maxHeadBytes;
        }

        String line() throws IOException {
            StringBuilder b = new StringBuilder(64);
            while (true) {
                int c = in.read();
                if (c < 0) throw new java.io.EOFException("upstream closed the connection mid-line");
                if (--remainingBytes < 0) throw new UpstreamProtocolException("response head larger than its limit");
                if (c == '\n') {
                    int len = b.length();
                    if (len > 0 && b.charAt(len - 1) == '\r') b.setLength(len - 1);
                    return b.toString();
                }
                if (c == 0) throw new UpstreamProtocolException("NUL in the response head");
                b.append((char) c);
            }
        }
    }
}
