package io.budgetguard.pricing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.budgetguard.core.Money;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Model prices: the table shipped in the jar (generated from a maintained dataset by prices/regenerate.py), overlaid
 * by an operator's file. A model id resolves by its exact entry (aliases are entries of their own), by a dated
 * snapshot of a listed model ({@code <base>-YYYY-MM-DD}, {@code <base>-YYYYMMDD}, {@code <base>-MMDD}), or as a fine-tuned model
 * ({@code ft:<base>:<org>:<suffix>:<id>}, at the {@code ft:<base>} entry) and nothing else: a name that merely starts
 * with a priced name is unknown, since its price may be many times higher (gpt-5-pro is not gpt-5).
 *
 * <p>Prices are kept per price list: {@code "models"} is OpenAI's (also Azure OpenAI's), {@code "providers": {"anthropic":
 * {"models": ...}}} every other provider's; a model is looked up only in the list its provider names, so one model id
 * at two providers has two prices. Models outside OpenAI's list default to {@value ModelPrice#UTF8_BYTES} counting.
 */
public final class PriceTable {
    /** The price list of OpenAI's models: the top-level {@code "models"} object. */
    public static final String OPENAI = "openai";
    private static final int MAX_MODEL_NAME_CHARS = 256;
    /** {@code <base>-YYYY-MM-DD}, {@code <base>-YYYYMMDD} (Anthropic) or {@code <base>-MMDD}: the only suffixes that name a snapshot of a listed model. */
    private static final Pattern DATED_SNAPSHOT = Pattern.compile("(.+)-(?:20[0-9]{2}-[01][0-9]-[0-3][0-9]|20[0-9]{2}[01][0-9][0-3][0-9]|[01][0-9][0-3][0-9])");
    private final Map<String, Map<String, ModelPrice>> byList;

    /** Price of models that are not listed; null = such models are refused. */
    private final ModelPrice fallback;
    /** The same, counted by UTF-8 bytes: for the lists of providers without a local tokenizer. */
    private final ModelPrice fallbackBytes;

    private PriceTable(Map<String, Map<String, ModelPrice>> byList, ModelPrice fallback) {
        Map<String, Map<String, ModelPrice>> copy = new HashMap<>();
        byList.forEach((list, models) -> copy.put(list, Map.copyOf(models)));
        this.byList = Map.copyOf(copy);
        this.fallback = fallback;
        this.fallbackBytes = fallback == null ? null : new ModelPrice(fallback.model(), fallback.inputMicroUsdPerMTok(),
                fallback.cachedInputMicroUsdPerMTok(), fallback.outputMicroUsdPerMTok(), fallback.maxOutputTokens(),
                ModelPrice.UTF8_BYTES, fallback.contextWindowTokens(), fallback.imageMaxTokens());
    }

    public static PriceTable load(ObjectMapper json, Path overridePath) throws IOException {
        return load(json, overridePath, null);
    }

    /**
     * The shipped table, overlaid by {@code overridePath} when given (its entries replace or add models);
     * {@code defaultPrice} (input, cached input, output in micro-USD per 1M tokens) prices unlisted models.
     */
    public static PriceTable load(ObjectMapper json, Path overridePath, long[] defaultPrice) throws IOException {
        Map<String, Map<String, ModelPrice>> prices = new HashMap<>();
        try (InputStream in = PriceTable.class.getResourceAsStream("/prices.json")) {
            if (in == null) throw new IllegalStateException("prices.json is missing from the jar");
            readLists(json.readTree(in), "prices.json", prices);
        }
        if (overridePath != null) {
            readLists(json.readTree(Files.readAllBytes(overridePath)), overridePath.toString(), prices);
        }
        ModelPrice fallback = defaultPrice == null ? null : new ModelPrice("(default)", defaultPrice[0], defaultPrice[1],
                defaultPrice[2], ModelPrice.DEFAULT_MAX_OUTPUT_TOKENS, "o200k_base", ModelPrice.DEFAULT_CONTEXT_WINDOW_TOKENS,
                ModelPrice.DEFAULT_IMAGE_MAX_TOKENS);
        return new PriceTable(prices, fallback);
    }

    private static void readLists(JsonNode root, String source, Map<String, Map<String, ModelPrice>> into) {
        JsonNode providers = root.get("providers");
        if (!root.has("models") && providers == null) {
            throw new IllegalArgumentException(source + ": expected an object \"models\" or \"providers\"");
        }
        if (root.has("models")) read(root.path("models"), source, OPENAI, into.computeIfAbsent(OPENAI, k -> new HashMap<>()));
        if (providers == null) return;
        if (!providers.isObject()) throw new IllegalArgumentException(source + ": \"providers\" must be an object");
        for (Iterator<Map.Entry<String, JsonNode>> it = providers.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            read(p.getValue().path("models"), source + ": providers." + p.getKey(), p.getKey(),
                    into.computeIfAbsent(p.getKey(), k -> new HashMap<>()));
        }
    }

    private static void read(JsonNode models, String source, String list, Map<String, ModelPrice> into) {
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
                        m.path("encoding").asText(list.equals(OPENAI) ? "o200k_base" : ModelPrice.UTF8_BYTES),
                        count(m, "context_window", ModelPrice.DEFAULT_CONTEXT_WINDOW_TOKENS),
                        count(m, "image_max_tokens", ModelPrice.DEFAULT_IMAGE_MAX_TOKENS),
                        tiers(m),
                        m.has("cache_write") ? perMTok(m, "cache_write") : input,
                        m.has("cache_write_1h") ? perMTok(m, "cache_write_1h") : m.has("cache_write") ? perMTok(m, "cache_write") : input));
            } catch (IllegalArgumentException | IllegalStateException ex) {
                throw new IllegalArgumentException(source + ": model " + name + ": " + ex.getMessage());
            }
        }
    }

    /** {@code "tiers": [{"above_input_tokens": 272000, "input": 5, "cached_input": 0.5, "output": 22.5}]}, ascending. */
    private static java.util.List<ModelPrice.Tier> tiers(JsonNode m) {
        JsonNode t = m.get("tiers");
        if (t == null) return java.util.List.of();
        if (!t.isArray()) throw new IllegalArgumentException("\"tiers\" must be an array");
        java.util.List<ModelPrice.Tier> out = new java.util.ArrayList<>();
        for (JsonNode tier : t) {
            long input = perMTok(tier, "input");
            if (!tier.has("above_input_tokens")) throw new IllegalArgumentException("each tier needs \"above_input_tokens\"");
            out.add(new ModelPrice.Tier(count(tier, "above_input_tokens", 0), input,
                    tier.has("cached_input") ? perMTok(tier, "cached_input") : input, perMTok(tier, "output")));
        }
        return out;
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

    /** OpenAI's price of {@code model}. */
    public Optional<ModelPrice> lookup(String model) {
        return lookup(OPENAI, model);
    }

    /** The price of {@code model} in the price list {@code list} (a provider's), else DEFAULT_PRICE, else none. */
    public Optional<ModelPrice> lookup(String list, String model) {
        if (model == null || model.length() > MAX_MODEL_NAME_CHARS) return Optional.empty();
        Map<String, ModelPrice> byName = byList.getOrDefault(list, Map.of());
        ModelPrice listed = listed(byName, model);
        if (listed != null) return Optional.of(listed);
        if (model.startsWith("ft:")) {
            ModelPrice fineTuned = fineTuned(byName, model);
            if (fineTuned != null) return Optional.of(fineTuned);
        }
        return Optional.ofNullable(list.equals(OPENAI) ? fallback : fallbackBytes);
    }

    /** The model names of one price list, sorted. */
    public java.util.List<String> models(String list) {
        return byList.getOrDefault(list, Map.of()).keySet().stream().sorted().toList();
    }

    /** Whether the table has a price list of this name. */
    public boolean hasList(String list) {
        return byList.containsKey(list);
    }

    /** The exact entry, or the entry a dated snapshot belongs to; null when neither is listed. */
    private static ModelPrice listed(Map<String, ModelPrice> byName, String model) {
        ModelPrice exact = byName.get(model);
        if (exact != null) return exact;
        Matcher dated = DATED_SNAPSHOT.matcher(model);
        return dated.matches() ? byName.get(dated.group(1)) : null;
    }

    /** {@code ft:<base>:<org>:<suffix>:<id>} (org, suffix, id optional) at the fine-tuned rates of its base model. */
    private static ModelPrice fineTuned(Map<String, ModelPrice> byName, String model) {
        int end = model.indexOf(':', 3);
        String base = end < 0 ? model.substring(3) : model.substring(3, end);
        ModelPrice exact = byName.get("ft:" + base);
        if (exact != null) return exact;
        Matcher dated = DATED_SNAPSHOT.matcher(base);
        return dated.matches() ? byName.get("ft:" + dated.group(1)) : null;
    }

    /** Models priced in OpenAI's list. */
    public int size() {
        return byList.getOrDefault(OPENAI, Map.of()).size();
    }
}
