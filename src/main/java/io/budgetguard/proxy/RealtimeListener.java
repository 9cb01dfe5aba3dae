package io.budgetguard.proxy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.budgetguard.config.Settings;
import io.budgetguard.http.ApiException;
import io.budgetguard.http.RequestIds;
import io.budgetguard.log.JsonLog;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.java_websocket.WebSocket;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;

/**
 * The client side of realtime sessions: {@code /v1/realtime?model=...} over WebSocket on its own port (the JDK's
 * HttpServer cannot hand over an upgraded connection). Each connection is authenticated, admitted and connected to
 * its provider as it opens ({@link ProxyHandler#openRealtime}); one that may not go on is told why in an
 * {@code error} event and closed. Bounded: sessions at once, message size, session length.
 */
final class RealtimeListener extends WebSocketServer {
    private final ProxyHandler proxy;
    private final ObjectMapper json;
    private final Settings.RealtimeLimits limits;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(10)).build();
    private final AtomicInteger open = new AtomicInteger();
    private final CountDownLatch started = new CountDownLatch(1);
    private final java.util.concurrent.ScheduledExecutorService timers = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("budgetguard-realtime-timer").daemon(true).factory());

    RealtimeListener(InetSocketAddress address, ProxyHandler proxy, ObjectMapper json, Settings.RealtimeLimits limits) {
        super(address, List.of(new Draft_6455(List.of(), List.of(new org.java_websocket.protocols.Protocol("")), limits.maxMessageBytes())));
        this.proxy = proxy;
        this.json = json;
        this.limits = limits;
        setReuseAddr(true);
        setConnectionLostTimeout(60);
    }

    void startAndWait() throws InterruptedException {
        start();
        if (!started.await(10, TimeUnit.SECONDS)) throw new IllegalStateException("the realtime listener did not start");
    }

    @Override
    public void onStart() {
        started.countDown();
    }

    @Override
    public void onOpen(WebSocket conn, ClientHandshake handshake) {
        RealtimeSession.Client client = client(conn);
        String sessionId = RequestIds.next();
        if (open.incrementAndGet() > limits.maxSessions()) {
            open.decrementAndGet();
            RealtimeSession refused = new RealtimeSession(null, client, json, limits.maxMessageBytes());
            refused.end(ApiException.overloaded(limits.maxSessions()), RealtimeSession.CLOSE_POLICY);
            return;
        }
        conn.setAttachment(new Counted());
        try {
            ProxyHandler.RealtimeOpened o = proxy.openRealtime(handshake, sessionId);
            RealtimeSession session = new RealtimeSession(o.admission(), client, json, limits.maxMessageBytes());
            conn.setAttachment(new Counted(session));
            if (session.open(http, o.upstream(), o.providerKey(), handshake.getFieldValue("OpenAI-Beta").isEmpty() ? null
                    : handshake.getFieldValue("OpenAI-Beta"), o.connectTimeoutMs())) {
                session.limitedBy(timers.schedule(() -> session.end(ApiException.upstreamTimeout(
                        "The session reached REALTIME_SESSION_MAX_S."), 1000), limits.sessionMaxS(), TimeUnit.SECONDS));
            }
        } catch (ApiException e) {
            new RealtimeSession(null, client, json, limits.maxMessageBytes()).end(e, RealtimeSession.CLOSE_POLICY);
        } catch (RuntimeException e) {
            JsonLog.bug("realtime_open_failed", e, "session", sessionId);
            new RealtimeSession(null, client, json, limits.maxMessageBytes()).end(ApiException.upstreamError("Internal error."), 1011);
        }
    }

    /** A connection counted against the sessions bound, with its session once it has one. */
    private record Counted(RealtimeSession session) {
        Counted() {
            this(null);
        }
    }

    @Override
    public void onMessage(WebSocket conn, String message) {
        if (conn.getAttachment() instanceof Counted c && c.session() != null) c.session().fromClient(message);
    }

    @Override
    public void onMessage(WebSocket conn, ByteBuffer message) {
        if (conn.getAttachment() instanceof Counted c && c.session() != null) c.session().fromClient(message);
    }

    @Override
    public void onClose(WebSocket conn, int code, String reason, boolean remote) {
        if (conn.getAttachment() instanceof Counted c) {
            open.decrementAndGet();
            if (c.session() != null) c.session().clientClosed();
        }
    }

    @Override
    public void onError(WebSocket conn, Exception ex) {
        if (conn == null) {
            JsonLog.warn("realtime_listener_failed", "error", ex.toString());
            started.countDown();
            return;
        }
        if (conn.getAttachment() instanceof Counted c && c.session() != null) c.session().clientClosed();
    }

    /** Sessions open now. */
    int openSessions() {
        return open.get();
    }

    void shutdown() {
        timers.shutdownNow();
        try {
            stop(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static RealtimeSession.Client client(WebSocket conn) {
        return new RealtimeSession.Client() {
            @Override
            public int pending() {
                return conn instanceof org.java_websocket.WebSocketImpl impl ? impl.outQueue.size() : 0;
            }

            @Override
            public void send(String text) {
                if (conn.isOpen()) conn.send(text);
            }

            @Override
            public void send(ByteBuffer bytes) {
                if (conn.isOpen()) conn.send(bytes);
            }

            @Override
            public void close(int code, String reason) {
                conn.close(code, reason);
            }
        };
    }

    static URI upstreamUri(io.budgetguard.config.Provider p, String model) {
        String base = p.baseUrl().toString().replaceAll("/+$", "").replaceFirst("^http", "ws");
        String prefix = p.kind() == io.budgetguard.config.ProviderKind.OPENAI ? "/v1" : "";
        return URI.create(base + prefix + "/realtime?model=" + java.net.URLEncoder.encode(model, java.nio.charset.StandardCharsets.UTF_8));
    }
}
