package io.budgetguard.pricing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.budgetguard.budget.Money;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * Model prices: the table shipped in the jar, overlaid by an operator's file. Lookup is exact, else the
 * longest listed name that is a prefix of the model followed by '-' (dated snapshots such as gpt-4o-2024-08-06).
 */
public final class PriceTable {
    private static final int MAX_MODEL_NAME_CHARS = 256;
    private final Map<String, ModelPrice> byName;

    /** Price of models that are not listed; null = such models are refused. */
    private final ModelPrice fallback;

    private PriceTable(Map<String, ModelPrice> byName, ModelPrice fallback) {
        this.byName = Map.copyOf(byName);
        this.fallback = fallback;
    }

    public static PriceTable load(ObjectMapper json, Path overridePath) throws IOException {
        return load(json, overridePath, null);
    }

    /**
     * The shipped table, overlaid by {@code overridePath} when given (its entries replace or add models);
     * {@code defaultPrice} (input, cached input, output in micro-USD per 1M tokens) prices unlisted models.
     */
    public static PriceTable load(ObjectMapper json, Path overridePath, long[] defaultPrice) throws IOException {
        Map<String, ModelPrice> prices = new HashMap<>();
        try (InputStream in = PriceTable.class.getResourceAsStream("/prices.json")) {
            if (in == null) throw new IllegalStateException("prices.json is missing from the jar");
            read(json.readTree(in), "prices.json", prices);
        }
        if (overridePath != null) {
            read(json.readTree(Files.readAllBytes(overridePath)), overridePath.toString(), prices);
        }
        ModelPrice fallback = defaultPrice == null ? null : new ModelPrice("(default)", defaultPrice[0], defaultPrice[1],
                defaultPrice[2], ModelPrice.DEFAULT_MAX_OUTPUT_TOKENS, "o200k_base", ModelPrice.DEFAULT_CONTEXT_WINDOW_TOKENS,
                ModelPrice.DEFAULT_IMAGE_MAX_TOKENS);
        return new PriceTable(prices, fallback);
    }

    private static void read(JsonNode root, String source, Map<String, ModelPrice> into) {
        JsonNode models = root.path("models");
        if (!models.isObject()) throw new IllegalArgumentException(source + ": expected an object \"models\"");
        for (Iterator<Map.Entry<String, JsonNode>> it = models.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode m = e.getValue();
            try {
                long input = perMTok(m, "input");
                into.put(name, new ModelPrice(name, input,
                        m.has("cached_input") ? perMTok(m, "cached_input") : input,
                        perMTok(m, "output"),
                        count(m, "max_output_tokens", ModelPrice.DEFAULT_MAX_OUTPUT_TOKENS),
                        m.path("encoding").asText("o200k_base"),
                        count(m, "context_window", ModelPrice.DEFAULT_CONTEXT_WINDOW_TOKENS),
                        count(m, "image_max_tokens", ModelPrice.DEFAULT_IMAGE_MAX_TOKENS)));
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException(source + ": model " + name + ": " + ex.getMessage());
            }
        }
    }

    private static long count(JsonNode m, String field, long dflt) {
        JsonNode v = m.get(field);
        if (v == null) return dflt;
        if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() < 0) {
            throw new IllegalArgumentException("\"" + field + "\" must be a whole number of tokens");
        }
        return v.asLong();
    }

    private static long perMTok(JsonNode m, String field) {
        JsonNode v = m.get(field);
        if (v == null || !v.isNumber()) throw new IllegalArgumentException("\"" + field + "\" must be a number (USD per 1M tokens)");
        try {
            return Money.microUsdFromUsd(new BigDecimal(v.asText()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("\"" + field + "\" " + e.getMessage());
        }
    }

    public Optional<ModelPrice> lookup(String model) {
        if (model == null || model.length() > MAX_MODEL_NAME_CHARS) return Optional.empty();
        ModelPrice exact = byName.get(model);
        if (exact != null) return Optional.of(exact);
        // Longest prefix first: cut at each '-' from the right.
        for (int i = model.lastIndexOf('-'); i > 0; i = model.lastIndexOf('-', i - 1)) {
            ModelPrice p = byName.get(model.substring(0, i));
            if (p != null) return Optional.of(p);
        }
        return Optional.ofNullable(fallback);
    }

    public int size() {
        return byName.size();
    }
}
