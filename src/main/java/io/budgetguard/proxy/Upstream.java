package io.budgetguard.proxy;

import io.budgetguard.config.Settings;
import io.budgetguard.http.ApiException;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * The one upstream (OpenAI or a compatible base URL fixed by configuration; no header or body can change it),
 * spoken to over HTTP/1.1 with blocking sockets on the request's virtual thread and a pool of keep-alive
 * connections: measured several times cheaper per call than java.net.http's selector hand-offs. The gateway's
 * OPENAI_KEY replaces whatever key the client sent.
 */
final class Upstream {
    /** The response's status and headers arrived; its body is still streaming. */
    record Response(int status, HttpHeaders headers, UpstreamBody body) {}

    static final int MAX_IDLE_CONNECTIONS = 256;
    static final long IDLE_CONNECTION_MAX_NANOS = 20_000_000_000L;
    static final int MAX_HEADERS = 200;

    private final String host;
    private final int port;
    private final boolean tls;
    private final String basePath;
    private final String hostHeader;
    private final String authorization;
    private final int connectTimeoutMs;
    private final int firstByteTimeoutMs;
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
    }

    /**
     * Sends the request and waits for the response headers (bounded by the first-byte timeout).
     * @throws ApiException 502 when the upstream is unreachable, 504 when it is too slow
     */
    Response send(String method, String path, byte[] body, String accept, String openaiBeta, String requestId)
            throws InterruptedException {
        byte[] head = head(method, path, body, accept, openaiBeta, requestId);
        // A pooled connection the server closed while idle fails before any response byte: retry once, fresh.
        for (int attempt = 0; attempt < 2; attempt++) {
            UpstreamConnection conn = connection(attempt > 0);
            try {
                conn.out.write(head);
                if (body != null) conn.out.write(body);
                conn.out.flush();
                conn.socket.setSoTimeout(firstByteTimeoutMs);
                return readHead(conn, method);
            } catch (EOFException | java.net.SocketException e) {
                conn.close();
                if (!conn.reused) throw ApiException.upstreamError("The upstream connection failed.");
            } catch (SocketTimeoutException e) {
                conn.close();
                throw ApiException.upstreamTimeout("The upstream did not answer in time.");
            } catch (IOException e) {
                conn.close();
                throw ApiException.upstreamError("The upstream connection failed.");
            }
            if (Thread.interrupted()) throw new InterruptedException();
        }
        throw ApiException.upstreamError("The upstream connection failed.");
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

    /** Client-supplied header values never carry a line break into the upstream request. */
    private static String clean(String v) {
        return v.replace('\r', ' ').replace('\n', ' ');
    }

    private Response readHead(UpstreamConnection conn, String method) throws IOException {
        String status = UpstreamBody.readLine(conn);
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) throw new IOException("not an HTTP/1.x response");
        int code;
        try {
            code = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IOException("bad status line");
        }
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 0; ; i++) {
            if (i > MAX_HEADERS) throw new IOException("too many headers from upstream");
            String line = UpstreamBody.readLine(conn);
            if (line.isEmpty()) break;
            int colon = line.indexOf(':');
            if (colon <= 0) continue;
            headers.computeIfAbsent(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                    .add(line.substring(colon + 1).trim());
        }
        HttpHeaders h = HttpHeaders.of(headers, (k, v) -> true);
        boolean chunked = h.firstValue("transfer-encoding").map(v -> v.toLowerCase(Locale.ROOT).contains("chunked")).orElse(false);
        long length = chunked ? -1 : h.firstValueAsLong("content-length").orElse(-1);
        if (method.equals("HEAD") || code == 204 || code == 304 || code / 100 == 1) length = 0;
        boolean keepAlive = !h.firstValue("connection").map(v -> v.equalsIgnoreCase("close")).orElse(false)
                && parts[0].equals("HTTP/1.1");
        return new Response(code, h, new UpstreamBody(conn, length, chunked, keepAlive, this::release));
    }

    private UpstreamConnection connection(boolean fresh) {
        if (!fresh) {
            long now = System.nanoTime();
            for (UpstreamConnection c; (c = idle.pollFirst()) != null; ) {
                if (now - c.idleSinceNanos < IDLE_CONNECTION_MAX_NANOS && !c.socket.isClosed()) return c.reuse();
                c.close();
            }
        }
        try {
            Socket s = new Socket();
            s.setTcpNoDelay(true);
            s.setKeepAlive(true);
            s.connect(new InetSocketAddress(host, port), connectTimeoutMs);
            if (tls) {
                SSLSocket ssl = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault()).createSocket(s, host, port, true);
                javax.net.ssl.SSLParameters p = ssl.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                ssl.setSSLParameters(p);
                ssl.setSoTimeout(connectTimeoutMs);
                ssl.startHandshake();
                return new UpstreamConnection(ssl, false);
            }
            return new UpstreamConnection(s, false);
        } catch (SocketTimeoutException e) {
            throw ApiException.upstreamTimeout("The upstream did not accept a connection in time.");
        } catch (ConnectException | java.net.UnknownHostException e) {
            throw ApiException.upstreamError("The upstream is unreachable.");
        } catch (IOException e) {
            throw ApiException.upstreamError("The upstream connection failed.");
        }
    }

    private void release(UpstreamConnection c) {
        if (idle.size() >= MAX_IDLE_CONNECTIONS) {
            c.close();
            return;
        }
        c.idleSinceNanos = System.nanoTime();
        idle.offerFirst(c);
    }
}
