package io.budgetguard.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.java_websocket.WebSocket;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;

/**
 * The tests' stand-in for OpenAI's realtime endpoint, in its event shapes: {@code session.created} on connect, each
 * {@code response.create} answered with {@code response.created}, a text delta and {@code response.done} with its
 * usage. It records what it received and refuses a connection without the provider's key.
 */
public final class FakeRealtime extends WebSocketServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final CountDownLatch started = new CountDownLatch(1);
    private final AtomicInteger ids = new AtomicInteger();
    private final ConcurrentLinkedQueue<String> received = new ConcurrentLinkedQueue<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger closed = new AtomicInteger();
    private final String key;
    public volatile long inputTokens = 10_000, outputTokens = 5_000;

    public FakeRealtime(String key) throws InterruptedException {
        super(new InetSocketAddress("127.0.0.1", 0));
        this.key = key;
        setReuseAddr(true);
        start();
        if (!started.await(10, TimeUnit.SECONDS)) throw new IllegalStateException("fake realtime did not start");
    }

    /** The base URL a provider of kind openai is configured with (its realtime path is /v1/realtime). */
    public String baseUrl() {
        return "http://127.0.0.1:" + getPort();
    }

    public List<String> received() {
        return List.copyOf(received);
    }

    public int connections() {
        return connections.get();
    }

    public int closedConnections() {
        return closed.get();
    }

    @Override
    public void onStart() {
        started.countDown();
    }

    @Override
    public void onOpen(WebSocket conn, ClientHandshake handshake) {
        connections.incrementAndGet();
        if (!("Bearer " + key).equals(handshake.getFieldValue("Authorization"))
                || !handshake.getResourceDescriptor().startsWith("/v1/realtime?model=")) {
            conn.close(4001, "invalid_api_key");
            return;
        }
        String model = handshake.getResourceDescriptor().substring("/v1/realtime?model=".length());
        ObjectNode created = JSON.createObjectNode().put("type", "session.created").put("event_id", "event_" + ids.incrementAndGet());
        created.putObject("session").put("id", "sess_fake" + ids.get()).put("object", "realtime.session").put("model", model)
                .put("type", "realtime");
        conn.send(created.toString());
    }

    @Override
    public void onMessage(WebSocket conn, String message) {
        JsonNode event;
        try {
            event = JSON.readTree(message);
        } catch (java.io.IOException e) {
            return;
        }
        String type = event.path("type").asText();
        received.add(type);
        if (type.equals("session.update")) {
            ObjectNode updated = JSON.createObjectNode().put("type", "session.updated").put("event_id", "event_" + ids.incrementAndGet());
            updated.putObject("session").put("id", "sess_fake").put("object", "realtime.session").put("type", "realtime");
            conn.send(updated.toString());
        } else if (type.equals("response.create")) {
            String id = "resp_rt" + ids.incrementAndGet();
            ObjectNode r = JSON.createObjectNode().put("type", "response.created").put("event_id", "event_" + ids.incrementAndGet());
            r.putObject("response").put("id", id).put("object", "realtime.response").put("status", "in_progress").putArray("output");
            conn.send(r.toString());
            conn.send(JSON.createObjectNode().put("type", "response.output_text.delta").put("event_id", "event_" + ids.incrementAndGet())
                    .put("response_id", id).put("item_id", "item_1").put("output_index", 0).put("content_index", 0).put("delta", "hi").toString());
            ObjectNode done = JSON.createObjectNode().put("type", "response.done").put("event_id", "event_" + ids.incrementAndGet());
            ObjectNode resp = done.putObject("response").put("id", id).put("object", "realtime.response").put("status", "completed");
            resp.putArray("output");
            ObjectNode u = resp.putObject("usage").put("total_tokens", inputTokens + outputTokens).put("input_tokens", inputTokens)
                    .put("output_tokens", outputTokens);
            u.putObject("input_token_details").put("cached_tokens", 0).put("text_tokens", inputTokens).put("audio_tokens", 0);
            u.putObject("output_token_details").put("text_tokens", outputTokens).put("audio_tokens", 0);
            conn.send(done.toString());
        }
    }

    @Override
    public void onMessage(WebSocket conn, java.nio.ByteBuffer message) {
        received.add("binary");
    }

    @Override
    public void onClose(WebSocket conn, int code, String reason, boolean remote) {
        closed.incrementAndGet();
    }

    @Override
    public void onError(WebSocket conn, Exception ex) {
        // a test's connection that broke: the gateway's side is what is under test
    }

    @Override
    public void close() throws InterruptedException {
        stop(1_000);
    }
}
