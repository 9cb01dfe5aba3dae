package io.budgetguard.simulated;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * An opt-in stand-in for OpenAI ({@code UPSTREAM=simulated}, never the default) on a loopback port: chat and
 * legacy completions (JSON or SSE, with the usage chunk when asked), embeddings, responses and the model list, in
 * OpenAI's wire format with usage a budget can be charged from. For trying budgets, 402s and the dashboard without
 * an OpenAI key, and for load tests that need no external server. Every answer says it is simulated.
 */
public final class SimulatedUpstream implements AutoCloseable {
    /** Request bodies read at most (the gateway has bounded them already). */
    static final int MAX_BODY_BYTES = 64 * 1024 * 1024;
    static final String TEXT = "This is a simulated answer from BudgetGuard's built-in upstream (UPSTREAM=simulated).";
    static final int MAX_ANSWER_TOKENS = 32;

    private final HttpServer server;
    private final ObjectMapper json = new ObjectMapper();

    private SimulatedUpstream(HttpServer server) {
        this.server = server;
    }

    public static SimulatedUpstream start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        SimulatedUpstream sim = new SimulatedUpstream(server);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", sim::answer);
        server.start();
        return sim;
    }

    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void answer(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] raw = ex.getRequestBody().readNBytes(MAX_BODY_BYTES);
            JsonNode in = raw.length == 0 ? json.createObjectNode() : json.readTree(raw);
            String path = ex.getRequestURI().getPath();
            int promptTokens = Math.max(1, raw.length / 4);
            int answerTokens = (int) Math.min(MAX_ANSWER_TOKENS, Math.max(1, outputLimit(in)));
            String model = in.path("model").asText("gpt-4o-mini");
            switch (path) {
                case "/v1/chat/completions", "/v1/completions" -> {
                    boolean chat = path.equals("/v1/chat/completions");
                    if (in.path("stream").asBoolean(false)) stream(ex, in, chat, model, promptTokens, answerTokens);
                    else send(ex, 200, completion(chat, model, promptTokens, answerTokens));
                }
                case "/v1/embeddings" -> send(ex, 200, embedding(model, promptTokens));
                case "/v1/moderations" -> send(ex, 200, moderation(in));
                case "/v1/responses" -> send(ex, 200, response(model, promptTokens, answerTokens));
                case "/v1/models" -> send(ex, 200, models());
                default -> error(ex, 404, "Unknown URL " + path + " (the simulated upstream answers chat, completions, "
                        + "embeddings, responses and models).");
            }
        } catch (IOException | RuntimeException e) {
            error(ex, 400, "The simulated upstream could not read the request: " + e.getMessage());
        }
    }

    private static long outputLimit(JsonNode in) {
        for (String f : new String[] {"max_completion_tokens", "max_tokens", "max_output_tokens"}) {
            if (in.path(f).canConvertToLong()) return in.path(f).asLong();
        }
        return MAX_ANSWER_TOKENS;
    }

    private static String words(int tokens) {
        String[] all = TEXT.split(" ");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(tokens, all.length); i++) b.append(i == 0 ? "" : " ").append(all[i]);
        return b.toString();
    }

    private ObjectNode usage(int prompt, int completion) {
        ObjectNode u = json.createObjectNode();
        u.put("prompt_tokens", prompt);
        u.put("completion_tokens", completion);
        u.put("total_tokens", prompt + completion);
        u.putObject("prompt_tokens_details").put("cached_tokens", 0);
        return u;
    }

    private ObjectNode completion(boolean chat, String model, int prompt, int completion) {
        ObjectNode o = json.createObjectNode();
        o.put("id", (chat ? "chatcmpl-" : "cmpl-") + "simulated");
        o.put("object", chat ? "chat.completion" : "text_completion");
        o.put("created", System.currentTimeMillis() / 1000);
        o.put("model", model);
        ObjectNode c = o.putArray("choices").addObject();
        c.put("index", 0);
        if (chat) c.putObject("message").put("role", "assistant").put("content", words(completion));
        else c.put("text", words(completion));
        c.put("finish_reason", "stop");
        o.set("usage", usage(prompt, completion));
        return o;
    }

    /** SSE as OpenAI sends it: one chunk per word, the usage chunk last when stream_options.include_usage asks. */
    private void stream(HttpExchange ex, JsonNode in, boolean chat, String model, int prompt, int completion) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);
        try (OutputStream out = ex.getResponseBody()) {
            String[] parts = words(completion).split(" ");
            for (int i = 0; i < parts.length; i++) {
                ObjectNode chunk = json.createObjectNode();
                chunk.put("id", "chatcmpl-simulated");
                chunk.put("object", chat ? "chat.completion.chunk" : "text_completion");
                chunk.put("created", System.currentTimeMillis() / 1000);
                chunk.put("model", model);
                ObjectNode c = chunk.putArray("choices").addObject();
                c.put("index", 0);
                String piece = (i == 0 ? "" : " ") + parts[i];
                if (chat) c.putObject("delta").put("content", piece);
                else c.put("text", piece);
                if (i == parts.length - 1) c.put("finish_reason", "stop");
                else c.putNull("finish_reason");
                event(out, chunk.toString());
            }
            if (in.path("stream_options").path("include_usage").asBoolean(false)) {
                ObjectNode last = json.createObjectNode();
                last.put("id", "chatcmpl-simulated");
                last.put("object", chat ? "chat.completion.chunk" : "text_completion");
                last.put("model", model);
                last.putArray("choices");
                last.set("usage", usage(prompt, completion));
                event(out, last.toString());
            }
            event(out, "[DONE]");
        }
    }

    private static void event(OutputStream out, String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private ObjectNode embedding(String model, int prompt) {
        ObjectNode o = json.createObjectNode();
        o.put("object", "list");
        ObjectNode d = o.putArray("data").addObject();
        d.put("object", "embedding");
        d.put("index", 0);
        ArrayNode v = d.putArray("embedding");
        for (int i = 0; i < 8; i++) v.add(i / 8.0);
        o.put("model", model);
        o.putObject("usage").put("prompt_tokens", prompt).put("total_tokens", prompt);
        return o;
    }

    private ObjectNode response(String model, int input, int output) {
        ObjectNode o = json.createObjectNode();
        o.put("id", "resp_simulated");
        o.put("object", "response");
        o.put("created_at", System.currentTimeMillis() / 1000);
        o.put("status", "completed");
        o.put("model", model);
        ObjectNode msg = o.putArray("output").addObject();
        msg.put("type", "message");
        msg.put("role", "assistant");
        msg.putArray("content").addObject().put("type", "output_text").put("text", words(output));
        ObjectNode u = o.putObject("usage");
        u.put("input_tokens", input);
        u.putObject("input_tokens_details").put("cached_tokens", 0);
        u.put("output_tokens", output);
        u.put("total_tokens", input + output);
        return o;
    }

    private ObjectNode moderation(JsonNode in) {
        ObjectNode o = json.createObjectNode();
        o.put("id", "modr-simulated");
        o.put("model", in.path("model").asText("omni-moderation-latest"));
        ObjectNode r = o.putArray("results").addObject();
        r.put("flagged", false);
        r.putObject("categories").put("violence", false);
        r.putObject("category_scores").put("violence", 0.0001);
        return o;
    }

    private ObjectNode models() {
        ObjectNode o = json.createObjectNode();
        o.put("object", "list");
        ArrayNode data = o.putArray("data");
        for (String id : new String[] {"gpt-4o-mini", "gpt-4.1-mini", "text-embedding-3-small"}) {
            data.addObject().put("id", id).put("object", "model").put("owned_by", "budgetguard-simulated");
        }
        return o;
    }

    private void error(HttpExchange ex, int status, String message) throws IOException {
        ObjectNode o = json.createObjectNode();
        o.putObject("error").put("message", message).put("type", "invalid_request_error").put("code", "simulated");
        send(ex, status, o);
    }

    private void send(HttpExchange ex, int status, ObjectNode body) throws IOException {
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
