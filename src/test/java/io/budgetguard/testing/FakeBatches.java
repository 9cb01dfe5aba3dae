package io.budgetguard.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The stand-in's files and batches, as OpenAI keeps them for one organisation (every tenant's together: the
 * gateway, not the provider, keeps tenants apart): uploads, retrieval, content, deletion, and batches that stay
 * in progress until the test finishes them, then answer with an output file of one chat completion per input line.
 */
final class FakeBatches {
    private static final ObjectMapper JSON = new ObjectMapper();

    record StoredFile(ObjectNode object, byte[] content) {}

    private final Map<String, StoredFile> files = new ConcurrentHashMap<>();
    private final Map<String, ObjectNode> batches = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    /** When true, every batch asked about has finished (completed, with its output file). */
    volatile boolean finished;
    volatile long promptTokens = 1000, completionTokens = 500;

    ObjectNode upload(List<FakeMultipart.Part> parts) {
        FakeMultipart.Part file = parts.stream().filter(p -> p.filename() != null).findFirst().orElseThrow();
        String purpose = FakeMultipart.fields(parts).getOrDefault("purpose", "batch");
        return store(file.filename(), purpose, file.bytes());
    }

    private ObjectNode store(String filename, String purpose, byte[] content) {
        String id = "file-fake" + ids.incrementAndGet();
        ObjectNode o = JSON.createObjectNode().put("id", id).put("object", "file").put("bytes", content.length)
                .put("created_at", 1_764_000_000L + ids.get()).put("filename", filename).put("purpose", purpose).put("status", "processed");
        files.put(id, new StoredFile(o, content));
        return o;
    }

    StoredFile file(String id) {
        return files.get(id);
    }

    ObjectNode deleteFile(String id) {
        return files.remove(id) == null ? null : JSON.createObjectNode().put("id", id).put("object", "file").put("deleted", true);
    }

    ObjectNode allFiles() {
        ObjectNode list = JSON.createObjectNode().put("object", "list").put("has_more", false);
        files.values().forEach(f -> list.withArray("data").add(f.object()));
        return list;
    }

    ObjectNode createBatch(JsonNode req) {
        StoredFile input = files.get(req.path("input_file_id").asText());
        if (input == null) return null;
        String id = "batch_fake" + ids.incrementAndGet();
        ObjectNode b = JSON.createObjectNode().put("id", id).put("object", "batch").put("endpoint", req.path("endpoint").asText())
                .put("input_file_id", req.path("input_file_id").asText()).put("completion_window", "24h").put("status", "validating")
                .put("created_at", 1_764_000_000L).putNull("output_file_id").putNull("error_file_id");
        b.putObject("request_counts").put("total", lines(input.content()).size()).put("completed", 0).put("failed", 0);
        batches.put(id, b);
        return b;
    }

    /** The batch as it is now: in progress, or (once finished) completed with its output file. */
    ObjectNode batch(String id) {
        ObjectNode b = batches.get(id);
        if (b == null) return null;
        synchronized (b) {
            if (!finished && b.path("status").asText().equals("validating")) b.put("status", "in_progress");
            if (finished && (b.path("status").asText().equals("in_progress") || b.path("status").asText().equals("validating"))) complete(b);
        }
        return b;
    }

    ObjectNode cancel(String id) {
        ObjectNode b = batches.get(id);
        if (b != null) b.put("status", "cancelled");
        return b;
    }

    ObjectNode allBatches() {
        ObjectNode list = JSON.createObjectNode().put("object", "list").put("has_more", false);
        batches.values().forEach(b -> list.withArray("data").add(b));
        return list;
    }

    private void complete(ObjectNode b) {
        StringBuilder out = new StringBuilder();
        int n = 0;
        for (String line : lines(files.get(b.path("input_file_id").asText()).content())) {
            JsonNode req;
            try {
                req = JSON.readTree(line);
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
            ObjectNode row = JSON.createObjectNode().put("id", "batch_req_" + (++n)).put("custom_id", req.path("custom_id").asText());
            ObjectNode body = row.putObject("response").put("status_code", 200).put("request_id", "req_" + n).putObject("body");
            body.put("id", "chatcmpl-" + n).put("object", "chat.completion").put("model", req.path("body").path("model").asText());
            body.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop").putObject("message")
                    .put("role", "assistant").put("content", "done");
            body.putObject("usage").put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
                    .put("total_tokens", promptTokens + completionTokens);
            row.putNull("error");
            out.append(row).append('\n');
        }
        ObjectNode output = store("batch_output.jsonl", "batch_output", out.toString().getBytes(StandardCharsets.UTF_8));
        b.put("status", "completed").put("output_file_id", output.path("id").asText()).put("completed_at", 1_764_000_100L);
        ((ObjectNode) b.get("request_counts")).put("completed", n);
    }

    private static List<String> lines(byte[] content) {
        return new String(content, StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
    }
}
