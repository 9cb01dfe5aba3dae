package io.budgetguard.deferred;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.budgetguard.pricing.ModelPrice;
import java.io.IOException;
import java.util.Optional;
import java.util.function.Function;

/**
 * What a finished batch cost, read from its output file as it streams: each answered request's usage at its model's
 * price (the batch's own model where a dated snapshot is not listed), summed, at the batch price. Failed requests
 * (the error file) are not billed.
 */
final class BatchOutput {
    private final ObjectMapper json;
    private final Function<String, Optional<ModelPrice>> prices;
    private final ModelPrice fallback;
    private final JsonLines lines;
    private long promptTokens;
    private long cachedTokens;
    private long completionTokens;
    private long listCostMicroUsd;
    private long unreadable;

    BatchOutput(ObjectMapper json, Function<String, Optional<ModelPrice>> prices, ModelPrice fallback, int maxLineBytes) {
        this.json = json;
        this.prices = prices;
        this.fallback = fallback;
        this.lines = new JsonLines(maxLineBytes, BatchInput.MAX_LINES, this::line);
    }

    void feed(byte[] b, int off, int len) {
        lines.feed(b, off, len);
    }

    void finish() {
        lines.finish();
    }

    long costMicroUsd() { return BatchInput.batchPrice(listCostMicroUsd); }
    long promptTokens() { return promptTokens; }
    long cachedTokens() { return cachedTokens; }
    long completionTokens() { return completionTokens; }
    long requests() { return lines.lines(); }
    /** Lines that were not JSON with a usage (counted, never billed as zero silently: the caller logs them). */
    long unreadable() { return unreadable; }

    private void line(byte[] b, int off, int len) {
        JsonNode body;
        try {
            body = json.readTree(b, off, len).path("response").path("body");
        } catch (IOException e) {
            unreadable++;
            return;
        }
        JsonNode u = body.path("usage");
        if (!u.isObject()) {
            unreadable++;
            return;
        }
        long prompt = first(u, "prompt_tokens", "input_tokens");
        long cached = Math.min(prompt, Math.max(u.path("prompt_tokens_details").path("cached_tokens").asLong(0),
                u.path("input_tokens_details").path("cached_tokens").asLong(0)));
        long output = first(u, "completion_tokens", "output_tokens");
        ModelPrice price = prices.apply(body.path("model").asText(null)).orElse(fallback);
        promptTokens = Math.addExact(promptTokens, prompt);
        cachedTokens = Math.addExact(cachedTokens, cached);
        completionTokens = Math.addExact(completionTokens, output);
        listCostMicroUsd = Math.addExact(listCostMicroUsd, price.costMicroUsd(prompt, cached, output));
    }

    private static long first(JsonNode u, String a, String b) {
        long v = u.path(a).asLong(-1);
        if (v < 0) v = u.path(b).asLong(0);
        return Math.max(0, v);
    }
}
