package io.budgetguard.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The tests' stand-in for OpenAI: answers the proxied routes the way OpenAI does (usage blocks, SSE with a
 * final usage chunk when asked, error envelopes), can hold or fail responses on demand, and records
 * everything it received.
 */
public final class FakeOpenAI implements AutoCloseable {
    public record Received(String method, String path, Map<String, String> headers, byte[] body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** A scripted answer for the next request(s). */
    public record Failure(int status, String code, String message) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_WAIT_S = 30;

    private final HttpServer server;
    private final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Failure> failures = new ConcurrentLinkedQueue<>();
    private final AtomicInteger cancelledStreams = new AtomicInteger();
    private final FakeBatches batches = new FakeBatches();
    private volatile CountDownLatch cancelled = new CountDownLatch(1);
    private volatile long promptTokens = 12, cachedTokens = 4, completionTokens = 5;
    /** When set, a stream sends its first event, then waits for this latch before sending the rest. */
    private volatile CountDownLatch streamGate;
    /** When set, the response headers wait for this latch (first-byte timeout tests). */
    private volatile CountDownLatch headerGate;
    /** When set, a stream stops after its first event and never finishes (idle timeout tests). */
    private volatile boolean stallAfterFirstEvent;
    /** When true, usage reports completion tokens equal to the request's max_tokens (the worst case). */
    private volatile boolean completionAtMaxTokens;
    /** Test control: `POST /_test/advance-clock?ms=N` moves the gateway's clock (SDK scripts call it). */
    private volatile java.util.function.LongConsumer clockControl;
    /** When true, a stream keeps sending events until the reader goes away (cancellation tests). */
    private volatile boolean endlessStream;

    public FakeOpenAI() throws IOException {
        // The JDK reads its server properties once, at the first HttpServer of the JVM (DESIGN §7b): when this
        // stand-in is that first server, the gateway's bounds must already be in place.
        try {
            io.budgetguard.http.JdkServerProperties.configure(io.budgetguard.config.SettingsLoader.fromMap(Map.of()));
        } catch (io.budgetguard.config.ConfigException e) {
            throw new IllegalStateException(e);
        }
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public List<Received> received() {
        return new ArrayList<>(received);
    }

    public int calls() {
        return received.size();
    }

    public void reset() {
        received.clear();
        failures.clear();
        streamGate = null;
        headerGate = null;
        stallAfterFirstEvent = false;
        endlessStream = false;
        completionAtMaxTokens = false;
        cancelled = new CountDownLatch(1);
        usage(12, 4, 5);
    }

    public void usage(long prompt, long cached, long completion) {
        promptTokens = prompt;
        cachedTokens = cached;
        completionTokens = completion;
    }

    public void onAdvanceClock(java.util.function.LongConsumer control) {
        clockControl = control;
    }

    public void completionAtMaxTokens() {
        completionAtMaxTokens = true;
    }

    public void failNext(int status, String code, String message) {
        failures.add(new Failure(status, code, message));
    }

    public CountDownLatch gateStreams() {
        CountDownLatch l = new CountDownLatch(1);
        streamGate = l;
        return l;
    }

    public CountDownLatch holdHeaders() {
        CountDownLatch l = new CountDownLatch(1);
        headerGate = l;
        return l;
    }

    public void stallStreams() {
        stallAfterFirstEvent = true;
    }

    public void endlessStreams() {
        endlessStream = true;
    }

    /** Waits until a stream's reader went away; true when it did within the wait. */
    public boolean awaitStreamCancelled(long seconds) throws InterruptedException {
        return cancelled.await(seconds, TimeUnit.SECONDS);
    }

    public int cancelledStreams() {
        return cancelledStreams.get();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            if (ex.getRequestURI().getPath().equals("/_test/finish-background")) {
                backgroundFinished = true;
                ex.sendResponseHeaders(204, -1);
                return;
            }
            if (ex.getRequestURI().getPath().equals("/_test/advance-clock")) {
                java.util.function.LongConsumer c = clockControl;
                if (c != null) c.accept(Long.parseLong(ex.getRequestURI().getQuery().replace("ms=", "")));
                ex.sendResponseHeaders(204, -1);
                return;
            }
            Map<String, String> headers = new TreeMap<>();
            ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(",", v)));
            received.add(new Received(ex.getRequestMethod(), ex.getRequestURI().getPath(), headers, body));
            CountDownLatch hg = headerGate;
            if (hg != null) await(hg);
            Failure f = failures.poll();
            if (f != null) {
                sendJson(ex, f.status(), error(f));
                return;
            }
            String path = ex.getRequestURI().getPath();
            String contentType = ex.getRequestHeaders().getFirst("Content-Type");
            if (contentType != null && contentType.startsWith("multipart/form-data")) {
                multipart(ex, path, FakeMultipart.parse(body, contentType));
                return;
            }
            JsonNode req = body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body);
            boolean stream = req.path("stream").asBoolean(false);
            switch (path) {
                case "/v1/chat/completions", "/v1/completions" -> {
                    if (stream) streamCompletion(ex, req, path.equals("/v1/chat/completions"));
                    else sendJson(ex, 200, completion(req, path.equals("/v1/chat/completions")));
                }
                case "/v1/responses" -> {
                    if (stream) streamResponse(ex, req);
                    else if (req.path("background").asBoolean(false)) sendJson(ex, 200, backgroundResponse(req));
                    else sendJson(ex, 200, response(req, "resp_fake" + responseIds.incrementAndGet()));
                }
                case "/v1/embeddings" -> sendJson(ex, 200, embeddings(req));
                case "/v1/moderations" -> sendJson(ex, 200, moderation(req));
                case "/v1/images/generations" -> sendJson(ex, 200, images(req));
                case "/v1/audio/speech" -> {
                    byte[] audio = ("ID3fake-mp3:" + req.path("voice").asText() + ":" + req.path("input").asText()).getBytes(StandardCharsets.UTF_8);
                    ex.getResponseHeaders().set("Content-Type", "audio/mpeg");
                    ex.sendResponseHeaders(200, audio.length);
                    ex.getResponseBody().write(audio);
                }
                case "/v1/models" -> sendJson(ex, 200, models());
                case "/v1/batches" -> {
                    if (ex.getRequestMethod().equals("GET")) sendJson(ex, 200, batches.allBatches());
                    else found(ex, batches.createBatch(req), path);
                }
                case "/v1/files" -> sendJson(ex, 200, batches.allFiles());
                default -> {
                    if (path.startsWith("/v1/files/") || path.startsWith("/v1/batches/")) filesAndBatches(ex, path);
                    else if (path.startsWith("/v1/responses/resp_")) responseLifecycle(ex, path);
                    else sendJson(ex, 404, error(new Failure(404, "unknown_url", "Unknown request URL: " + path)));
                }
            }
        }
    }

    /** OpenAI's multipart routes: transcriptions (also streamed), translations, image edits and variations. */
    private void multipart(HttpExchange ex, String path, List<FakeMultipart.Part> parts) throws IOException {
        switch (path) {
            case "/v1/audio/transcriptions", "/v1/audio/translations" -> {
                if ("true".equals(FakeMultipart.fields(parts).get("stream"))) {
                    byte[] sse = FakeMultipart.transcriptionStream(parts).getBytes(StandardCharsets.UTF_8);
                    ex.getResponseHeaders().set("Content-Type", "text/event-stream");
                    ex.sendResponseHeaders(200, sse.length);
                    ex.getResponseBody().write(sse);
                    return;
                }
                FakeMultipart.Answer a = FakeMultipart.transcription(parts, path.endsWith("translations"));
                ex.getResponseHeaders().set("Content-Type", a.contentType());
                ex.sendResponseHeaders(200, a.body().length);
                ex.getResponseBody().write(a.body());
            }
            case "/v1/files" -> sendJson(ex, 200, batches.upload(parts));
            case "/v1/images/edits", "/v1/images/variations" ->
                    sendJson(ex, 200, images(FakeMultipart.imageRequest(parts, path.endsWith("variations"))));
            default -> sendJson(ex, 404, error(new Failure(404, "unknown_url", "Unknown request URL: " + path)));
        }
    }

    /** Background responses created so far; they stay in progress until {@code POST /_test/finish-background}. */
    private final java.util.Set<String> background = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile boolean backgroundFinished;

    private ObjectNode backgroundResponse(JsonNode req) {
        String id = "resp_bg" + responseIds.incrementAndGet();
        background.add(id);
        ObjectNode r = response(req, id);
        r.put("status", "queued").put("background", true).putNull("usage");
        r.putArray("output");
        return r;
    }

    /** What the test's batches have done: finish every batch from now on, and the usage of each request in them. */
    public void finishBatches() {
        batches.finished = true;
    }

    public void batchUsage(long prompt, long completion) {
        batches.promptTokens = prompt;
        batches.completionTokens = completion;
    }

    private void filesAndBatches(HttpExchange ex, String path) throws IOException {
        String[] parts = path.substring(4).split("/");
        String method = ex.getRequestMethod();
        if (parts[0].equals("files")) {
            if (parts.length == 3 && parts[2].equals("content") && method.equals("GET")) {
                FakeBatches.StoredFile f = batches.file(parts[1]);
                if (f == null) {
                    found(ex, null, path);
                    return;
                }
                ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
                ex.sendResponseHeaders(200, f.content().length);
                ex.getResponseBody().write(f.content());
            } else if (method.equals("DELETE")) {
                found(ex, batches.deleteFile(parts[1]), path);
            } else {
                FakeBatches.StoredFile f = batches.file(parts[1]);
                found(ex, f == null ? null : f.object(), path);
            }
        } else if (parts.length == 3 && parts[2].equals("cancel")) {
            found(ex, batches.cancel(parts[1]), path);
        } else {
            found(ex, batches.batch(parts[1]), path);
        }
    }

    private static void found(HttpExchange ex, JsonNode body, String path) throws IOException {
        if (body == null) sendJson(ex, 404, error(new Failure(404, "not_found", "No such object: " + path)));
        else sendJson(ex, 200, body);
    }

    private static void await(CountDownLatch l) {
        try {
            l.await(MAX_WAIT_S, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private ObjectNode usageNode(boolean responsesApi) {
        return usageNode(responsesApi, completionTokens);
    }

    private ObjectNode usageNode(boolean responsesApi, long completionTokens) {
        ObjectNode u = JSON.createObjectNode();
        u.put(responsesApi ? "input_tokens" : "prompt_tokens", promptTokens);
        u.putObject(responsesApi ? "input_tokens_details" : "prompt_tokens_details").put("cached_tokens", cachedTokens);
        u.put(responsesApi ? "output_tokens" : "completion_tokens", completionTokens);
        u.put("total_tokens", promptTokens + completionTokens);
        return u;
    }

    private ObjectNode completion(JsonNode req, boolean chat) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", chat ? "chatcmpl-fake" : "cmpl-fake");
        o.put("object", chat ? "chat.completion" : "text_completion");
        o.put("created", 1_764_000_000L);
        o.put("model", req.path("model").asText());
        ObjectNode choice = o.putArray("choices").addObject();
        choice.put("index", 0);
        if (chat) {
            ObjectNode msg = choice.putObject("message");
            msg.put("role", "assistant");
            msg.put("content", "Hello from the fake upstream.");
            msg.putNull("refusal");
        } else {
            choice.put("text", "Hello from the fake upstream.");
            choice.putNull("logprobs");
        }
        choice.put("finish_reason", "stop");
        long completion = completionAtMaxTokens ? req.path("max_tokens").asLong(completionTokens) : completionTokens;
        o.set("usage", usageNode(false, completion));
        return o;
    }

    private void streamCompletion(HttpExchange ex, JsonNode req, boolean chat) throws IOException {
        boolean includeUsage = req.path("stream_options").path("include_usage").asBoolean(false);
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        String[] words = {"Hello", " from", " the", " fake", " stream."};
        int limit = endlessStream ? 3_000 : words.length;
        for (int i = 0; i < limit; i++) {
            ObjectNode chunk = chunk(req, chat, includeUsage);
            ObjectNode choice = chunk.putArray("choices").addObject();
            choice.put("index", 0);
            if (chat) choice.putObject("delta").put("content", words[i % words.length]);
            else choice.put("text", words[i % words.length]);
            choice.putNull("finish_reason");
            if (!sendEvent(out, null, chunk)) return;
            if (i == 0 && !afterFirstEvent()) return;
            if (endlessStream) pause(10);
        }
        ObjectNode last = chunk(req, chat, includeUsage);
        ObjectNode choice = last.putArray("choices").addObject();
        choice.put("index", 0);
        if (chat) choice.putObject("delta");
        else choice.put("text", "");
        choice.put("finish_reason", "stop");
        if (!sendEvent(out, null, last)) return;
        if (includeUsage) {
            ObjectNode u = chunk(req, chat, false);
            u.putArray("choices");
            u.set("usage", usageNode(false));
            if (!sendEvent(out, null, u)) return;
        }
        sendRaw(out, "data: [DONE]\n\n");
    }

    /** Gate or stall after the first event; false when the stream should end here. */
    private boolean afterFirstEvent() {
        CountDownLatch g = streamGate;
        if (g != null) await(g);
        if (stallAfterFirstEvent) {
            pause(MAX_WAIT_S * 1000);
            return false;
        }
        return true;
    }

    private ObjectNode chunk(JsonNode req, boolean chat, boolean usageNull) {
        ObjectNode c = JSON.createObjectNode();
        c.put("id", chat ? "chatcmpl-fake" : "cmpl-fake");
        c.put("object", chat ? "chat.completion.chunk" : "text_completion");
        c.put("created", 1_764_000_000L);
        c.put("model", req.path("model").asText());
        if (usageNull) c.putNull("usage");
        return c;
    }

    private final java.util.concurrent.atomic.AtomicInteger responseIds = new java.util.concurrent.atomic.AtomicInteger();

    private ObjectNode response(JsonNode req, String id) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", id);
        o.put("object", "response");
        o.put("created_at", 1_764_000_000L);
        o.put("status", "completed");
        o.put("model", req.path("model").asText());
        ObjectNode msg = o.putArray("output").addObject();
        msg.put("type", "message");
        msg.put("id", "msg_fake");
        msg.put("status", "completed");
        msg.put("role", "assistant");
        ObjectNode text = msg.putArray("content").addObject();
        text.put("type", "output_text");
        text.put("text", "Hello from the fake upstream.");
        text.putArray("annotations");
        o.putArray("tools");
        o.put("parallel_tool_calls", true);
        o.put("tool_choice", "auto");
        o.set("usage", usageNode(true));
        return o;
    }

    private void streamResponse(HttpExchange ex, JsonNode req) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        ObjectNode created = JSON.createObjectNode();
        created.put("type", "response.created");
        created.put("sequence_number", 0);
        String id = "resp_fake" + responseIds.incrementAndGet();
        ObjectNode inProgress = response(req, id);
        inProgress.put("status", "in_progress");
        inProgress.putNull("usage");
        created.set("response", inProgress);
        if (!sendEvent(out, "response.created", created)) return;
        if (!afterFirstEvent()) return;
        ObjectNode delta = JSON.createObjectNode();
        delta.put("type", "response.output_text.delta");
        delta.put("sequence_number", 1);
        delta.put("item_id", "msg_fake");
        delta.put("output_index", 0);
        delta.put("content_index", 0);
        delta.put("delta", "Hello from the fake upstream.");
        if (!sendEvent(out, "response.output_text.delta", delta)) return;
        ObjectNode done = JSON.createObjectNode();
        done.put("type", "response.completed");
        done.put("sequence_number", 2);
        done.set("response", response(req, id));
        sendEvent(out, "response.completed", done);
    }

    private ObjectNode embeddings(JsonNode req) {
        ObjectNode o = JSON.createObjectNode();
        o.put("object", "list");
        ObjectNode e = o.putArray("data").addObject();
        e.put("object", "embedding");
        e.put("index", 0);
        float[] vector = {0.25f, -0.5f, 0.75f};
        if ("base64".equals(req.path("encoding_format").asText())) {
            ByteBuffer buf = ByteBuffer.allocate(vector.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : vector) buf.putFloat(v);
            e.put("embedding", Base64.getEncoder().encodeToString(buf.array()));
        } else {
            ArrayNode arr = e.putArray("embedding");
            for (float v : vector) arr.add(v);
        }
        o.put("model", req.path("model").asText());
        ObjectNode u = o.putObject("usage");
        u.put("prompt_tokens", promptTokens);
        u.put("total_tokens", promptTokens);
        return o;
    }

    private static ObjectNode models() {
        ObjectNode o = JSON.createObjectNode();
        o.put("object", "list");
        for (String id : List.of("gpt-4o-mini", "gpt-4o", "text-embedding-3-small")) {
            ObjectNode m = o.withArray("data").addObject();
            m.put("id", id);
            m.put("object", "model");
            m.put("created", 1_700_000_000L);
            m.put("owned_by", "openai");
        }
        return o;
    }

    private static ObjectNode error(Failure f) {
        ObjectNode o = JSON.createObjectNode();
        ObjectNode e = o.putObject("error");
        e.put("message", f.message());
        e.put("type", f.status() == 429 ? "requests" : "server_error");
        e.putNull("param");
        e.put("code", f.code());
        return o;
    }

    private static void sendJson(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.getResponseHeaders().set("x-request-id", "req_upstream_fake");
        ex.getResponseHeaders().set("openai-organization", "org-secret-upstream");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    /** False when the reader went away: the stream counts as cancelled. */
    private boolean sendEvent(OutputStream out, String event, JsonNode data) {
        String text = (event == null ? "" : "event: " + event + "\n") + "data: " + data + "\n\n";
        return sendRaw(out, text);
    }

    private boolean sendRaw(OutputStream out, String text) {
        try {
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
            return true;
        } catch (IOException e) {
            cancelledStreams.incrementAndGet();
            cancelled.countDown();
            return false;
        }
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }

    /** OpenAI's moderation answer (free: no usage block). */
    private ObjectNode moderation(JsonNode req) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", "modr-fake");
        o.put("model", req.path("model").asText("omni-moderation-latest"));
        ObjectNode r = o.putArray("results").addObject();
        r.put("flagged", false);
        r.putObject("categories").put("violence", false);
        r.putObject("category_scores").put("violence", 0.0001);
        return o;
    }

    /** Output tokens each generated image reports (gpt-image models); the low, square size by default. */
    public volatile long imageOutputTokens = 272;

    /**
     * OpenAI's image generation answer: {@code n} images as base64 (a 1x1 PNG), with a token usage block for the
     * gpt-image models (DALL-E answers have none).
     */
    private ObjectNode images(JsonNode req) {
        ObjectNode o = JSON.createObjectNode();
        o.put("created", 1_764_000_000L);
        int n = req.path("n").asInt(1);
        var data = o.putArray("data");
        for (int i = 0; i < n; i++) {
            ObjectNode img = data.addObject();
            img.put("b64_json", "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==");
            if (req.path("model").asText().equals("dall-e-3")) img.put("revised_prompt", req.path("prompt").asText());
        }
        if (req.path("model").asText().startsWith("gpt-image")) {
            ObjectNode u = o.putObject("usage");
            long out = imageOutputTokens * n;
            u.put("total_tokens", 20 + out);
            u.put("input_tokens", 20);
            u.put("output_tokens", out);
            u.putObject("input_tokens_details").put("text_tokens", 20).put("image_tokens", 0);
        }
        return o;
    }

    /** Retrieve, delete, cancel and input items of a stored response, as OpenAI answers them. */
    private void responseLifecycle(HttpExchange ex, String path) throws IOException {
        String[] parts = path.substring("/v1/responses/".length()).split("/", 2);
        String id = parts[0], rest = parts.length > 1 ? parts[1] : "";
        String method = ex.getRequestMethod();
        if (rest.isEmpty() && method.equals("GET")) {
            ObjectNode r = response(JSON.createObjectNode().put("model", "gpt-4o-mini"), id);
            if (background.contains(id) && !backgroundFinished) {
                r.put("status", "in_progress").put("background", true).putNull("usage");
                r.putArray("output");
            }
            sendJson(ex, 200, r);
        } else if (rest.isEmpty() && method.equals("DELETE")) {
            sendJson(ex, 200, JSON.createObjectNode().put("id", id).put("object", "response").put("deleted", true));
        } else if (rest.equals("cancel") && method.equals("POST")) {
            ObjectNode r = response(JSON.createObjectNode().put("model", "gpt-4o-mini"), id);
            r.put("status", "cancelled");
            sendJson(ex, 200, r);
        } else if (rest.equals("input_items") && method.equals("GET")) {
            ObjectNode list = JSON.createObjectNode().put("object", "list").put("has_more", false);
            ObjectNode item = list.putArray("data").addObject().put("id", "msg_in").put("type", "message").put("role", "user")
                    .put("status", "completed");
            item.putArray("content").addObject().put("type", "input_text").put("text", "hi");
            list.put("first_id", "msg_in").put("last_id", "msg_in");
            sendJson(ex, 200, list);
        } else {
            sendJson(ex, 404, error(new Failure(404, "unknown_url", "Unknown request URL: " + path)));
        }
    }
}
