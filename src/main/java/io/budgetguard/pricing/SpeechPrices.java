package io.budgetguard.pricing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Text to speech ({@code POST /v1/audio/speech}): tts-1 and tts-1-hd are billed by the input's characters, so the
 * cost is known exactly before the request is sent; it is reserved and settled at that. Other speech models are
 * refused (their audio tokens have no bound known before the audio exists). From {@code unit-prices.json}.
 */
public final class SpeechPrices {
    /** OpenAI's own limit on one input. */
    public static final int MAX_INPUT_CHARS = 4_096;
    private static final long PER_MILLION = 1_000_000L;

    private final Map<String, Long> perMillionChars = new HashMap<>();

    private SpeechPrices() {}

    public static SpeechPrices load(ObjectMapper json) throws IOException {
        SpeechPrices p = new SpeechPrices();
        UnitPrices.read(json).path("speech").path("per_million_characters").fields().forEachRemaining(e -> {
            if (!e.getValue().canConvertToExactIntegral() || e.getValue().longValue() <= 0) {
                throw new IllegalStateException("unit-prices.json: speech " + e.getKey());
            }
            p.perMillionChars.put(e.getKey(), e.getValue().longValue());
        });
        return p;
    }

    /** The cost of speaking the body's {@code input} with {@code model}, rounded up to the micro-dollar. */
    public Estimate estimate(String model, JsonNode body) {
        Long rate = perMillionChars.get(model);
        if (rate == null) {
            throw new Unpriced("The model '" + model + "' has no speech price in BudgetGuard, so its cost cannot be "
                    + "capped; priced speech models: " + new TreeSet<>(perMillionChars.keySet()) + ".", "model");
        }
        JsonNode input = body.get("input");
        if (input == null || !input.isTextual()) throw new Unpriced("'input' must be a string.", "input");
        String text = input.asText();
        int chars = text.codePointCount(0, text.length());
        if (chars > MAX_INPUT_CHARS) {
            throw new Unpriced("'input' holds " + chars + " characters; at most " + MAX_INPUT_CHARS + ".", "input");
        }
        return new Estimate(0, 0, Math.ceilDiv(Math.multiplyExact((long) chars, rate), PER_MILLION));
    }
}
