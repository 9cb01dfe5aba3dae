package io.budgetguard.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.budgetguard.core.Reservation;
import io.budgetguard.http.ApiException;
import io.budgetguard.log.JsonLog;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * One realtime session, relayed between the client's WebSocket and the provider's. The session always holds one
 * reservation: the worst case of one response (the model's whole context window in, its output cap out). When the
 * provider reports a response done, that reservation is settled at the response's usage (its own ledger row) and
 * the next is admitted in the same step of the relay, before another server event is passed on; when the next
 * cannot be admitted (the budget ran out, a rate limit), the client gets an {@code error} event saying so and both
 * sides are closed. When the session ends, its last reservation is settled: at nothing if no response was under
 * way, at its worst case if one was (the provider may have generated it).
 */
final class RealtimeSession {
    /** Close codes: 1008 (policy) for a refused session or budget, 1011 for an upstream failure, 1009 for a large message. */
    static final int CLOSE_POLICY = 1008;
    static final int CLOSE_UPSTREAM = 1011;
    static final int CLOSE_TOO_BIG = 1009;
    /** Client events waiting for the provider to take them, and server events waiting for the client, at most. */
    static final int MAX_PENDING_MESSAGES = 4096;

    /** The client's side: what the listener's connection offers. */
    interface Client {
        /** Messages queued for the client and not yet written to it. */
        int pending();

        void send(String text);

        void send(ByteBuffer bytes);

        void close(int code, String reason);
    }

    private final RealtimeAdmission admission;
    private final Client client;
    private final ObjectMapper json;
    private final int maxMessageBytes;
    private final StringBuilder partial = new StringBuilder();
    private final Object lock = new Object();
    private WebSocket upstream;
    private CompletableFuture<?> sending = CompletableFuture.completedFuture(null);
    private Reservation held;
    private boolean responseUnderWay;
    private boolean ended;
    /** The next response could not be admitted: the client's events are no longer passed on. */
    private boolean blocked;
    /** Client events handed to the provider's connection and not yet sent. */
    private int waiting;
    private int responses;
    /** The session's length limit, cancelled when it ends first. */
    private volatile java.util.concurrent.Future<?> timer;

    RealtimeSession(RealtimeAdmission admission, Client client, ObjectMapper json, int maxMessageBytes) {
        this.admission = admission;
        this.client = client;
        this.json = json;
        this.maxMessageBytes = maxMessageBytes;
    }

    /** Admits the first response's worst case and connects to the provider; false (the client told why) when refused. */
    boolean open(HttpClient http, URI upstreamUri, String providerKey, String openaiBeta, long connectTimeoutMs) {
        try {
            synchronized (lock) {
                held = admission.admitNext(++responses);
            }
        } catch (ApiException e) {
            refuse(e);
            return false;
        }
        WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(Duration.ofMillis(connectTimeoutMs));
        if (providerKey != null) b.header("Authorization", "Bearer " + providerKey);
        if (openaiBeta != null) b.header("OpenAI-Beta", openaiBeta);
        try {
            WebSocket ws = b.buildAsync(upstreamUri, new FromUpstream()).get(connectTimeoutMs + 1_000, TimeUnit.MILLISECONDS);
            synchronized (lock) {
                upstream = ws;
                if (ended) ws.abort();
            }
            return true;
        } catch (Exception e) {
            JsonLog.warn("realtime_upstream_unreachable", "tenant", admission.tenantId(), "error", e.toString());
            end(ApiException.upstreamError("The provider's realtime endpoint could not be reached."), CLOSE_UPSTREAM);
            return false;
        }
    }

    void limitedBy(java.util.concurrent.Future<?> timer) {
        this.timer = timer;
        if (ended) timer.cancel(false);
    }

    void fromClient(String text) {
        forward(ws -> ws.sendText(text, true));
    }

    void fromClient(ByteBuffer bytes) {
        forward(ws -> ws.sendBinary(bytes, true));
    }

    /** The client closed or dropped: the upstream is closed and the last reservation settled. */
    void clientClosed() {
        end(null, 1000);
    }

    private void forward(java.util.function.Function<WebSocket, CompletableFuture<WebSocket>> send) {
        boolean overflow = false;
        synchronized (lock) {
            if (ended || blocked || upstream == null) return;
            if (waiting >= MAX_PENDING_MESSAGES) {
                overflow = true;
            } else {
                WebSocket ws = upstream;
                waiting++;
                // The JDK's WebSocket takes one message at a time: each send waits for the one before it.
                sending = sending.thenCompose(x -> send.apply(ws)).whenComplete((ws2, failed) -> {
                    synchronized (lock) {
                        waiting--;
                    }
                    if (failed != null) end(ApiException.upstreamError("The provider's realtime connection failed."), CLOSE_UPSTREAM);
                });
            }
        }
        if (overflow) end(ApiException.upstreamError("The provider is not taking the session's events fast enough."), CLOSE_UPSTREAM);
    }

    /** The provider's events: passed on as they arrive, a response's end settled on the way. */
    private final class FromUpstream implements WebSocket.Listener {
        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (partial.length() > maxMessageBytes) {
                end(ApiException.upstreamError("The provider sent a message larger than REALTIME_MAX_MESSAGE_BYTES."), CLOSE_TOO_BIG);
                return null;
            }
            if (last) {
                String event = partial.toString();
                partial.setLength(0);
                onEvent(event);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            if (tooSlow()) return null;
            client.send(data);
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
            end(null, status == WebSocket.NORMAL_CLOSURE ? 1000 : CLOSE_UPSTREAM);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            JsonLog.warn("realtime_upstream_failed", "tenant", admission.tenantId(), "error", error.toString());
            end(ApiException.upstreamError("The provider's realtime connection failed."), CLOSE_UPSTREAM);
        }
    }

    /** A client that does not read what it is sent ends its session instead of holding the gateway's memory. */
    private boolean tooSlow() {
        if (client.pending() < MAX_PENDING_MESSAGES) return false;
        end(ApiException.upstreamError("The client is not reading the session's events."), CLOSE_POLICY);
        return true;
    }

    private void onEvent(String event) {
        if (tooSlow()) return;
        String type = null;
        JsonNode parsed = null;
        if (event.contains("\"response.")) {
            try {
                parsed = json.readTree(event);
                type = parsed.path("type").asText(null);
            } catch (java.io.IOException e) {
                // not an event of ours to read; passed on as it is
            }
        }
        if ("response.created".equals(type)) {
            synchronized (lock) {
                responseUnderWay = true;
            }
        }
        if (!"response.done".equals(type)) {
            client.send(event);
            return;
        }
        Usage usage = Usage.of(parsed.path("response").path("usage"));
        ApiException refused = null;
        synchronized (lock) {
            if (ended) return;
            Reservation done = held;
            held = null;
            responseUnderWay = false;
            admission.settle(done, usage, usage == null);
            try {
                held = admission.admitNext(++responses);
            } catch (ApiException e) {
                // From here nothing more of the client's reaches the provider, before the client even sees the end.
                refused = e;
                blocked = true;
            }
        }
        client.send(event);
        if (refused != null) end(refused, CLOSE_POLICY);
    }

    /** Tells the client why it may not go on, in the realtime API's own error event, then closes it. */
    private void refuse(ApiException e) {
        client.send(errorEvent(e));
        client.close(CLOSE_POLICY, e.code());
    }

    private String errorEvent(ApiException e) {
        ObjectNode o = json.createObjectNode().put("type", "error").put("event_id", "event_bg_" + Long.toHexString(System.nanoTime()));
        o.putObject("error").put("type", e.type()).put("code", e.code()).put("message", e.getMessage());
        return o.toString();
    }

    /** Ends the session once: the client told why (when there is a why), both sides closed, the last reservation settled. */
    void end(ApiException why, int closeCode) {
        Reservation last;
        boolean underWay;
        WebSocket ws;
        synchronized (lock) {
            if (ended) return;
            ended = true;
            last = held;
            held = null;
            underWay = responseUnderWay;
            ws = upstream;
        }
        java.util.concurrent.Future<?> t = timer;
        if (t != null) t.cancel(false);
        try {
            if (why != null) client.send(errorEvent(why));
            client.close(closeCode, why == null ? "" : why.code());
        } finally {
            if (ws != null) ws.abort();
            if (last != null) admission.settle(last, null, underWay);
        }
    }
}
