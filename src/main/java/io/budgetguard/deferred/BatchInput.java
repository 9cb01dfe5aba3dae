package io.budgetguard.deferred;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.budgetguard.pricing.Estimate;
import io.budgetguard.pricing.Estimator;
import io.budgetguard.pricing.ModelPrice;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The worst case of a batch, read from its input file as it streams from the provider: every line estimated as the
 * request it is (its prompt counted, its output at its cap), summed, at the batch price. A line for another
 * endpoint, without a priced model, or not JSON refuses the batch before anything is reserved.
 */
public final class BatchInput {
    /** OpenAI's limit on the requests of one batch. */
    public static final int MAX_LINES = 50_000;
    /** Batches cost half the list price (OpenAI's Batch API pricing). */
    public static final int PRICE_PERCENT = 50;
    /** The endpoints a batch can run, and how each line of one is estimated. */
    public static final Map<String, Estimator.Kind> ENDPOINTS = Map.of(
            "/v1/chat/completions", Estimator.Kind.CHAT, "/v1/completions", Estimator.Kind.COMPLETION,
            "/v1/embeddings", Estimator.Kind.EMBEDDING, "/v1/responses", Estimator.Kind.RESPONSE);

    private final ObjectMapper json;
    private final Estimator estimator;
    private final Function<String, Optional<ModelPrice>> prices;
    private final String endpoint;
    private final Estimator.Kind kind;
    private final JsonLines lines;
    private long promptTokens;
    private long outputTokens;
    private long listCostMicroUsd;
    private String model;

    public BatchInput(ObjectMapper json, Estimator estimator, Function<String, Optional<ModelPrice>> prices, String endpoint,
                      int maxLineBytes) {
        this.json = json;
        this.estimator = estimator;
        this.prices = prices;
        this.endpoint = endpoint;
        this.kind = ENDPOINTS.get(endpoint);
        if (kind == null) throw new BatchRefused("A batch runs one of " + new java.util.TreeSet<>(ENDPOINTS.keySet()) + ".");
        this.lines = new JsonLines(maxLineBytes, MAX_LINES, this::line);
    }

    public void feed(byte[] b, int off, int len) {
        lines.feed(b, off, len);
    }

    /** The batch's worst case at the batch price; the input ended. */
    public Estimate finish() {
        lines.finish();
        if (lines.lines() == 0) throw new BatchRefused("The input file has no requests.");
        return new Estimate(promptTokens, outputTokens, batchPrice(listCostMicroUsd));
    }

    /** The model of the first request (the batch's model in the ledger). */
    public String model() {
        return model;
    }

    /** A cost at the list price as the batch price, rounded up to the micro-dollar. */
    public static long batchPrice(long listCostMicroUsd) {
        return Math.ceilDiv(Math.multiplyExact(listCostMicroUsd, PRICE_PERCENT), 100);
    }

    private void line(byte[] b, int off, int len) {
        long n = lines.lines();
        JsonNode request;
        try {
            request = json.readTree(b, off, len);
        } catch (IOException e) {
            throw new BatchRefused("Line " + n + " of the input file is not JSON.");
        }
        if (!endpoint.equals(request.path("url").asText())) {
            throw new BatchRefused("Line " + n + " calls '" + request.path("url").asText() + "', not the batch's endpoint " + endpoint + ".");
        }
        JsonNode body = request.get("body");
        if (body == null || !body.isObject() || !body.path("model").isTextual()) {
            throw new BatchRefused("Line " + n + " has no body with a model.");
        }
        String m = body.get("model").asText();
        ModelPrice price = prices.apply(m).orElseThrow(() -> new BatchRefused("Line " + n + ": the model '" + m
                + "' has no price in BudgetGuard's price table, so the batch's cost cannot be capped."));
        Estimate e;
        try {
            e = estimator.estimate(kind, body, price);
        } catch (RuntimeException ex) {
            throw new BatchRefused("Line " + n + ": " + ex.getMessage());
        }
        if (model == null) model = m;
        promptTokens = Math.addExact(promptTokens, e.promptTokens());
        outputTokens = Math.addExact(outputTokens, e.maxOutputTokens());
        listCostMicroUsd = Math.addExact(listCostMicroUsd, e.costMicroUsd());
    }
}
