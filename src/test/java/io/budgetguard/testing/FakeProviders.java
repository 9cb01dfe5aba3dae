package io.budgetguard.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;

/**
 * The tests' stand-ins for Anthropic, Gemini, Azure OpenAI and an OpenAI-compatible server (Mistral), one server
 * each, answering as those APIs do: their paths, their key headers (a wrong key is 401 in the provider's own error
 * envelope), Anthropic's SSE event types with usage in message_start and message_delta, Gemini's usageMetadata,
 * Azure's api-version. Each records what it received. The wire formats are checked by the providers' official SDKs
 * (src/test/python/providers_compat.py), driven through the gateway.
 */
public final class FakeProviders implements AutoCloseable {
    public static final String ANTHROPIC_KEY = "sk-ant-upstream-secret";
    public static final String GEMINI_KEY = "AIza-upstream-secret";
    public static final String AZURE_KEY = "azure-upstream-secret";
    public static final String MISTRAL_KEY = "mistral-upstream-secret";

    public record Received(String provider, String method, String path, String query, Map<String, String> headers, JsonNode body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
    private final List<HttpServer> servers = new ArrayList<>();
    private final HttpServer anthropic;
    private final HttpServer gemini;
    private final HttpServer azure;
    private final HttpServer mistral;
    /** Anthropic's usage: input (without cache), cache creation, cache read, output. */
    public volatile long[] anthropicUsage = {25, 100, 40, 15};
    /** Gemini's usageMetadata: prompt (with cached), cached, candidates, thoughts. */
    public volatile long[] geminiUsage = {30, 10, 12, 8};
    /** OpenAI-shaped usage (Azure, Mistral): prompt, cached, completion. */
    public volatile long[] openaiUsage = {12, 0, 5};
    /** When set, every answer reports output equal to the request's own limit: the worst case the gateway reserved. */
    public volatile boolean outputAtMaxTokens;

    public FakeProviders() throws IOException {
        anthropic = server("anthropic", this::anthropic);
        gemini = server("gemini", this::gemini);
        azure = server("azure", this::azure);
        mistral = server("mistral", this::mistral);
    }

    @FunctionalInterface
    private interface Handler {
        void handle(HttpExchange ex, Received r) throws IOException;
    }

    private HttpServer server(String name, Handler h) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
        s.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        s.createContext("/", ex -> {
            try (ex) {
                byte[] body = ex.getRequestBody().readAllBytes();
                Map<String, String> headers = new java.util.TreeMap<>();
                ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v.getFirst()));
                Received r = new Received(name, ex.getRequestMethod(), ex.getRequestURI().getPath(), ex.getRequestURI().getRawQuery(),
                        headers, body.length == 0 ? null : JSON.readTree(body));
                received.add(r);
                h.handle(ex, r);
            } catch (RuntimeException e) {
                e.printStackTrace();
                ex.sendResponseHeaders(500, -1);
            }
        });
        s.start();
        servers.add(s);
        return s;
    }

    public String anthropicUrl() { return url(anthropic); }
    public String geminiUrl() { return url(gemini); }
    public String azureUrl() { return url(azure); }
    /** Mistral's base URL as its SDKs take it: with the version prefix. */
    public String mistralUrl() { return url(mistral) + "/v1"; }

    private static String url(HttpServer s) {
        return "http://127.0.0.1:" + s.getAddress().getPort();
    }

    public List<Received> received() {
        return new ArrayList<>(received);
    }

    public List<Received> received(String provider) {
        return received.stream().filter(r -> r.provider().equals(provider)).toList();
    }

    // ---- Anthropic -------------------------------------------------------------------------------------------

    private void anthropic(HttpExchange ex, Received r) throws IOException {
        if (!ANTHROPIC_KEY.equals(r.header("x-api-key")) && !("Bearer " + ANTHROPIC_KEY).equals(r.header("authorization"))) {
            send(ex, 401, "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key\"}}");
            return;
        }
        if (r.path().equals("/v1/chat/completions")) {
            openaiChat(ex, r, usage(r));
            return;
        }
        if (r.header("anthropic-version") == null) {
            send(ex, 400, "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"anthropic-version: header is required\"}}");
            return;
        }
        if (r.path().equals("/v1/messages/count_tokens")) {
            send(ex, 200, "{\"input_tokens\":" + anthropicUsage[0] + "}");
            return;
        }
        if (!r.path().equals("/v1/messages")) {
            send(ex, 404, "{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\",\"message\":\"Not found\"}}");
            return;
        }
        String model = r.body().path("model").asText();
        long[] u = anthropicUsage.clone();
        if (outputAtMaxTokens) u[3] = r.body().path("max_tokens").asLong(u[3]);
        if (!r.body().path("stream").asBoolean(false)) {
            send(ex, 200, "{\"id\":\"msg_fake\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + model + "\","
                    + "\"content\":[{\"type\":\"text\",\"text\":\"Hello from the fake Anthropic.\"}],\"stop_reason\":\"end_turn\","
                    + "\"stop_sequence\":null,\"usage\":{\"input_tokens\":" + u[0] + ",\"cache_creation_input_tokens\":" + u[1]
                    + ",\"cache_read_input_tokens\":" + u[2] + ",\"output_tokens\":" + u[3] + "}}");
            return;
        }
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.getResponseHeaders().set("request-id", "req_fake_anthropic");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        event(out, "message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_fake\",\"type\":\"message\",\"role\":\"assistant\","
                + "\"model\":\"" + model + "\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":" + u[0]
                + ",\"cache_creation_input_tokens\":" + u[1] + ",\"cache_read_input_tokens\":" + u[2] + ",\"output_tokens\":1}}}");
        event(out, "content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
        event(out, "ping", "{\"type\":\"ping\"}");
        for (String piece : new String[] {"Hello from ", "the fake ", "Anthropic stream."}) {
            event(out, "content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\""
                    + piece + "\"}}");
        }
        event(out, "content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}");
        event(out, "message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
                + "\"usage\":{\"output_tokens\":" + u[3] + "}}");
        event(out, "message_stop", "{\"type\":\"message_stop\"}");
    }

    private static void event(OutputStream out, String type, String data) throws IOException {
        out.write(("event: " + type + "\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    // ---- Gemini ----------------------------------------------------------------------------------------------

    private void gemini(HttpExchange ex, Received r) throws IOException {
        boolean keyOk = GEMINI_KEY.equals(r.header("x-goog-api-key")) || ("Bearer " + GEMINI_KEY).equals(r.header("authorization"));
        if (!keyOk || (r.query() != null && r.query().contains("key="))) {
            send(ex, 400, "{\"error\":{\"code\":400,\"message\":\"API key not valid. Please pass a valid API key.\",\"status\":\"INVALID_ARGUMENT\"}}");
            return;
        }
        if (r.path().startsWith("/v1beta/openai/")) {
            openaiChat(ex, r, openaiUsage);
            return;
        }
        String last = r.path().substring(r.path().lastIndexOf('/') + 1);
        int colon = last.indexOf(':');
        String method = colon < 0 ? "" : last.substring(colon + 1);
        long[] u = geminiUsage;
        String usage = "\"usageMetadata\":{\"promptTokenCount\":" + u[0] + ",\"cachedContentTokenCount\":" + u[1]
                + ",\"candidatesTokenCount\":" + u[2] + ",\"thoughtsTokenCount\":" + u[3] + ",\"totalTokenCount\":" + (u[0] + u[2] + u[3]) + "}";
        switch (method) {
            case "countTokens" -> send(ex, 200, "{\"totalTokens\":" + u[0] + "}");
            case "generateContent" -> send(ex, 200, "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":"
                    + "\"Hello from the fake Gemini.\"}]},\"finishReason\":\"STOP\",\"index\":0}]," + usage + ",\"modelVersion\":\"fake\"}");
            case "streamGenerateContent" -> {
                boolean sse = "alt=sse".equals(r.query());
                ex.getResponseHeaders().set("Content-Type", sse ? "text/event-stream" : "application/json");
                ex.sendResponseHeaders(200, 0);
                OutputStream out = ex.getResponseBody();
                String[] pieces = {"Hello from ", "the fake ", "Gemini stream."};
                if (!sse) out.write('[');
                for (int i = 0; i < pieces.length; i++) {
                    long[] partial = i < pieces.length - 1 ? new long[] {u[0], u[1], i + 1, u[3]} : u;
                    String chunk = "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"" + pieces[i] + "\"}]},\"index\":0"
                            + (i == pieces.length - 1 ? ",\"finishReason\":\"STOP\"" : "") + "}],\"usageMetadata\":{\"promptTokenCount\":"
                            + partial[0] + ",\"cachedContentTokenCount\":" + partial[1] + ",\"candidatesTokenCount\":" + partial[2]
                            + ",\"thoughtsTokenCount\":" + partial[3] + "}}";
                    out.write((sse ? "data: " + chunk + "\r\n\r\n" : (i > 0 ? "," : "") + chunk).getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
                if (!sse) out.write(']');
            }
            default -> send(ex, 404, "{\"error\":{\"code\":404,\"message\":\"not found\",\"status\":\"NOT_FOUND\"}}");
        }
    }

    // ---- Azure OpenAI and an OpenAI-compatible server -------------------------------------------------------

    private void azure(HttpExchange ex, Received r) throws IOException {
        if (!AZURE_KEY.equals(r.header("api-key"))) {
            send(ex, 401, "{\"error\":{\"code\":\"401\",\"message\":\"Access denied due to invalid subscription key.\"}}");
            return;
        }
        boolean deployments = r.path().startsWith("/openai/deployments/");
        if (deployments && (r.query() == null || !r.query().startsWith("api-version="))) {
            send(ex, 404, "{\"error\":{\"code\":\"404\",\"message\":\"Resource not found\"}}");
            return;
        }
        if (r.path().endsWith("/embeddings")) {
            send(ex, 200, "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.25,-0.5]}],"
                    + "\"model\":\"fake\",\"usage\":{\"prompt_tokens\":" + openaiUsage[0] + ",\"total_tokens\":" + openaiUsage[0] + "}}");
            return;
        }
        openaiChat(ex, r, usage(r));
    }

    private long[] usage(Received r) {
        long[] u = openaiUsage.clone();
        if (outputAtMaxTokens && r.body() != null) u[2] = r.body().path("max_tokens").asLong(u[2]);
        return u;
    }

    private void mistral(HttpExchange ex, Received r) throws IOException {
        if (!("Bearer " + MISTRAL_KEY).equals(r.header("authorization"))) {
            send(ex, 401, "{\"message\":\"Unauthorized\",\"request_id\":\"fake\"}");
            return;
        }
        if (r.body() != null && r.body().has("stream_options")) {
            send(ex, 422, "{\"object\":\"error\",\"message\":\"stream_options: extra inputs are not permitted\",\"type\":\"invalid_request_error\"}");
            return;
        }
        openaiChat(ex, r, usage(r));
    }

    /** A chat completion in OpenAI's shape; a stream ends with usage in its last chunk (as Mistral sends it). */
    private static void openaiChat(HttpExchange ex, Received r, long[] u) throws IOException {
        String model = r.body() == null ? "fake" : r.body().path("model").asText("fake");
        String usage = "\"usage\":{\"prompt_tokens\":" + u[0] + ",\"completion_tokens\":" + u[2] + ",\"total_tokens\":" + (u[0] + u[2])
                + ",\"prompt_tokens_details\":{\"cached_tokens\":" + u[1] + "}}";
        if (r.body() == null || !r.body().path("stream").asBoolean(false)) {
            send(ex, 200, "{\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"" + model + "\",\"choices\":"
                    + "[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello from the fake provider.\"},\"finish_reason\":\"stop\"}],"
                    + usage + "}");
            return;
        }
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        String[] pieces = {"Hello from ", "the fake provider stream."};
        for (int i = 0; i < pieces.length; i++) {
            boolean last = i == pieces.length - 1;
            String chunk = "{\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + model + "\","
                    + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + pieces[i] + "\"},\"finish_reason\":" + (last ? "\"stop\"" : "null")
                    + "}]" + (last ? "," + usage : "") + "}";
            out.write(("data: " + chunk + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    @Override
    public void close() {
        servers.forEach(s -> s.stop(0));
    }
}
