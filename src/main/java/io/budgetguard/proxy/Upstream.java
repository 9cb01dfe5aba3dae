package io.budgetguard.proxy;

import io.budgetguard.config.Provider;
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
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * One provider's upstream (its base URL fixed by configuration; no header or body can change it), spoken to over
 * HTTP/1.1 with blocking sockets on the request's virtual thread and a pool of keep-alive connections. The
 * provider's key replaces whatever key the client sent, in the header the provider's API expects.
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

    private static final Pattern TUNNEL_ESTABLISHED = Pattern.compile("HTTP/1\\.[01] 2[0-9][0-9].*");

    private final String host;
    private final int port;
    private final boolean tls;
    private final String basePath;
    private final String hostHeader;
    /** The key's header line for OpenAI-shaped requests, and for the provider's native API. */
    private final String openaiAuthLine;
    private final String nativeAuthLine;
    private final URI egressProxy;
    private final int connectTimeoutMs;
    private final int firstByteTimeoutMs;
    private final Settings.UpstreamLimits limits;
    private final SSLSocketFactory tlsFactory;
    private final ConcurrentLinkedDeque<UpstreamConnection> idle = new ConcurrentLinkedDeque<>();
    private final UpstreamResponses responses;

    Upstream(Provider provider, Settings.UpstreamLimits limits) {
        URI base = provider.baseUrl();
        this.tls = "https".equals(base.getScheme());
        this.host = base.getHost();
        this.port = base.getPort() > 0 ? base.getPort() : tls ? 443 : 80;
        this.basePath = base.getRawPath() == null ? "" : base.getRawPath();
        this.hostHeader = base.getPort() > 0 ? host + ":" + port : host;
        String key = provider.key();
        this.openaiAuthLine = key == null ? null : switch (provider.kind()) {
            case AZURE_OPENAI -> "api-key: " + key;
            default -> "Authorization: Bearer " + key;
        };
        this.nativeAuthLine = key == null ? null : switch (provider.kind()) {
            case AZURE_OPENAI -> "api-key: " + key;
            case ANTHROPIC -> "x-api-key: " + key;
            case GEMINI -> "x-goog-api-key: " + key;
            default -> "Authorization: Bearer " + key;
        };
        this.egressProxy = provider.egressProxy();
        this.connectTimeoutMs = (int) provider.connectTimeoutMs();
        this.firstByteTimeoutMs = (int) Math.min(Integer.MAX_VALUE, provider.firstByteTimeoutMs());
        this.limits = limits;
        this.tlsFactory = tls ? tlsFactory(limits) : null;
        this.responses = new UpstreamResponses(limits, this::release);
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
    Response send(String method, String path, byte[] body, ClientHeaders headers, String requestId,
                  UpstreamAttempt attempt) throws UpstreamFailure {
        byte[] head = head(method, path, body, headers, requestId);
        UpstreamConnection conn = lend();
        attempt.writing(conn);
        try {
            conn.out.write(head);
            if (body != null) conn.out.write(body);
            conn.out.flush();
            conn.socket.setSoTimeout(firstByteTimeoutMs);
            return responses.read(conn, method);
        } catch (SocketTimeoutException e) {
            conn.abort();
            throw new UpstreamFailure(ApiException.upstreamTimeout("The upstream did not answer in time."), true);
        } catch (IOException e) {
            conn.abort();
            throw new UpstreamFailure(ApiException.upstreamError("The upstream connection failed after the request "
                    + "was sent (" + reason(e) + "); it was not resent."), true);
        }
    }

    /**
     * Sends a multipart upload once, streaming it from the client as it arrives, and waits for the response's head.
     * @throws Upload.Broken when the client's side of the upload failed: the upstream got an incomplete request
     * @throws UpstreamFailure as {@link #send}
     */
    Response sendUpload(String path, Upload upload, String renamedModel, ClientHeaders headers, String requestId,
                        UpstreamAttempt attempt) throws UpstreamFailure, Upload.Broken {
        byte[] head = head("POST", path, upload.contentType(), upload.upstreamLength(renamedModel), headers, requestId);
        UpstreamConnection conn = lend();
        attempt.writing(conn);
        try {
            conn.out.write(head);
            upload.writeTo(conn.out, renamedModel);
            conn.socket.setSoTimeout(firstByteTimeoutMs);
            return responses.read(conn, "POST");
        } catch (Upload.Broken e) {
            conn.abort();
            throw e;
        } catch (SocketTimeoutException e) {
            conn.abort();
            throw new UpstreamFailure(ApiException.upstreamTimeout("The upstream did not answer in time."), true);
        } catch (IOException e) {
            conn.abort();
            throw new UpstreamFailure(ApiException.upstreamError("The upstream connection failed while the upload "
                    + "was sent (" + reason(e) + "); it was not resent."), true);
        } catch (RuntimeException e) {
            conn.abort();
            throw e;
        }
    }

    private static String reason(IOException e) {
        return e instanceof UpstreamProtocolException ? e.getMessage() : "connection closed or reset";
    }

    /**
     * The client headers passed on (each a value the client sent, or null), and whether the request is in the
     * provider's native shape (its key then goes in the native header).
     */
    record ClientHeaders(boolean nativeShape, String accept, String openaiBeta, String anthropicVersion, String anthropicBeta) {}

    private byte[] head(String method, String path, byte[] body, ClientHeaders h, String requestId) {
        return head(method, path, body == null ? null : "application/json", body == null ? -1 : body.length, h, requestId);
    }

    private byte[] head(String method, String path, String contentType, long contentLength, ClientHeaders h, String requestId) {
        StringBuilder b = new StringBuilder(256);
        b.append(method).append(' ').append(basePath).append(path).append(" HTTP/1.1\r\n");
        b.append("Host: ").append(hostHeader).append("\r\n");
        b.append("User-Agent: budgetguard\r\n");
        b.append("X-Client-Request-Id: ").append(requestId).append("\r\n");
        String auth = h.nativeShape() ? nativeAuthLine : openaiAuthLine;
        if (auth != null) b.append(auth).append("\r\n");
        if (h.accept() != null) b.append("Accept: ").append(clean(h.accept())).append("\r\n");
        if (h.openaiBeta() != null) b.append("OpenAI-Beta: ").append(clean(h.openaiBeta())).append("\r\n");
        if (h.anthropicVersion() != null) b.append("anthropic-version: ").append(clean(h.anthropicVersion())).append("\r\n");
        if (h.anthropicBeta() != null) b.append("anthropic-beta: ").append(clean(h.anthropicBeta())).append("\r\n");
        if (contentType != null) {
            b.append("Content-Type: ").append(clean(contentType)).append("\r\n");
            b.append("Content-Length: ").append(contentLength).append("\r\n");
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
            URI proxy = egressProxy;
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
}
