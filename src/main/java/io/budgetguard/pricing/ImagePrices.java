package io.budgetguard.pricing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * What an image generation costs before it is sent ({@code POST /v1/images/generations}): DALL-E models per image by
 * quality and size, reserved at n times that and settled at it; token-priced image models (gpt-image-1) at n times
 * the image tokens of their quality and size ("auto": the largest) at the model's output rate, plus the prompt at
 * its input rate, settled from the response's usage. From {@code unit-prices.json} ({@code images}); anything it
 * does not list is refused with 400, never guessed.
 */
public final class ImagePrices {
    public static final int MAX_IMAGES = 10;
    static final String DEFAULT_SIZE = "1024x1024";

    /** micro-USD per image: model -> quality -> size. */
    private final Map<String, Map<String, Map<String, Long>>> perImage = new HashMap<>();
    /** image tokens per image: model -> quality -> size. */
    private final Map<String, Map<String, Map<String, Long>>> outputTokens = new HashMap<>();

    private ImagePrices() {}

    public static ImagePrices load(ObjectMapper json) throws IOException {
        ImagePrices p = new ImagePrices();
        JsonNode images = UnitPrices.read(json).path("images");
        read(images.path("per_image"), p.perImage);
        read(images.path("output_tokens"), p.outputTokens);
        return p;
    }

    private static void read(JsonNode models, Map<String, Map<String, Map<String, Long>>> into) {
        models.fields().forEachRemaining(m -> {
            Map<String, Map<String, Long>> byQuality = new HashMap<>();
            m.getValue().fields().forEachRemaining(q -> {
                Map<String, Long> bySize = new HashMap<>();
                q.getValue().fields().forEachRemaining(s -> {
                    if (!s.getValue().canConvertToExactIntegral() || s.getValue().longValue() <= 0) {
                        throw new IllegalStateException("unit-prices.json: " + m.getKey() + " " + q.getKey() + " " + s.getKey());
                    }
                    bySize.put(s.getKey(), s.getValue().longValue());
                });
                byQuality.put(q.getKey(), Map.copyOf(bySize));
            });
            into.put(m.getKey(), Map.copyOf(byQuality));
        });
    }

    /** Whether the model is priced per image here (its usage, if any, is not what it is billed by). */
    public boolean perImage(String model) {
        return perImage.containsKey(model);
    }

    /** Whether the images API can be priced for this model at all. */
    public boolean knows(String model) {
        return perImage.containsKey(model) || outputTokens.containsKey(model);
    }

    /**
     * The worst case of a generation request. {@code tokenPrice} is the model's token price (token-priced models;
     * ignored for per-image ones).
     */
    public Estimate estimate(String model, JsonNode body, ModelPrice tokenPrice) {
        return estimate(model, body, tokenPrice, 0);
    }

    /**
     * The worst case of an edit or variation of {@code inputImages} uploaded images: per-image models as a
     * generation; token-priced models also pay each input image's tokens (the model's image bound, plus its largest
     * high-quality image when {@code input_fidelity} is high).
     */
    public Estimate estimate(String model, JsonNode body, ModelPrice tokenPrice, int inputImages) {
        int n = images(body);
        if (perImage.containsKey(model)) {
            Map<String, Map<String, Long>> byQuality = perImage.get(model);
            String quality = text(body, "quality", "standard");
            if (quality.equals("auto")) quality = byQuality.containsKey("hd") ? "hd" : "standard";
            long each = pick(byQuality, quality, text(body, "size", DEFAULT_SIZE), model);
            return new Estimate(0, 0, Math.multiplyExact(each, n));
        }
        Map<String, Map<String, Long>> byQuality = outputTokens.get(model);
        if (byQuality == null || tokenPrice == null) {
            throw new Unpriced("The model '" + model + "' has no image price in BudgetGuard, so its cost cannot be "
                    + "capped; priced image models: " + new TreeSet<>(union()) + ".", "model");
        }
        String quality = text(body, "quality", "auto"), size = text(body, "size", "auto");
        long tokens = 0;
        for (String q : quality.equals("auto") ? byQuality.keySet() : java.util.Set.of(quality)) {
            Map<String, Long> bySize = byQuality.get(q);
            if (bySize == null) throw badChoice("quality", quality, byQuality.keySet());
            if (size.equals("auto")) {
                for (long t : bySize.values()) tokens = Math.max(tokens, t);
            } else {
                tokens = Math.max(tokens, pick(byQuality, q, size, model));
            }
        }
        long output = Math.multiplyExact(tokens, n);
        long perInput = tokenPrice.imageMaxTokens();
        if (text(body, "input_fidelity", "low").equals("high") && byQuality.containsKey("high")) {
            for (long t : byQuality.get("high").values()) perInput = Math.max(perInput, tokenPrice.imageMaxTokens() + t);
        }
        long prompt = Estimator.utf8Bytes(text(body, "prompt", "")) + Estimator.FIXED_MARGIN_TOKENS
                + Math.multiplyExact(perInput, inputImages);
        return new Estimate(prompt, output, tokenPrice.costMicroUsd(prompt, 0, output));
    }

    private java.util.Set<String> union() {
        java.util.Set<String> all = new TreeSet<>(perImage.keySet());
        all.addAll(outputTokens.keySet());
        return all;
    }

    private static long pick(Map<String, Map<String, Long>> byQuality, String quality, String size, String model) {
        Map<String, Long> bySize = byQuality.get(quality);
        if (bySize == null) throw badChoice("quality", quality, byQuality.keySet());
        Long v = bySize.get(size);
        if (v == null) throw badChoice("size", size, bySize.keySet());
        return v;
    }

    private static Unpriced badChoice(String field, String value, java.util.Set<String> allowed) {
        return new Unpriced("'" + field + "' " + (value.length() > 32 ? "" : "'" + value + "' ") + "is not priced for this model; "
                + "it takes " + String.join(", ", new TreeSet<>(allowed)) + ".", field);
    }

    private static int images(JsonNode body) {
        JsonNode n = body.get("n");
        if (n == null || n.isNull()) return 1;
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < 1 || n.intValue() > MAX_IMAGES) {
            throw new Unpriced("'n' must be a whole number from 1 to " + MAX_IMAGES + ".", "n");
        }
        return n.intValue();
    }

    private static String text(JsonNode body, String field, String dflt) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return dflt;
        if (!v.isTextual()) throw new Unpriced("'" + field + "' must be a string.", field);
        return v.asText();
    }
}
